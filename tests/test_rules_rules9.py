"""Rules9 (issue 12): the `person_name` term (a word jieba tags as a personal name) and the
classes built on it and beside it. Each test pairs the violation with the look-alike it must
leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.compliance.concepts import ExprError, parse_expr
from auditor.compliance.rulepack import check_pack
from auditor.compliance.rules import BUILTIN_DIR, RuleSet, load_rules
from auditor.compliance.tokens import person_names
from tests.helpers import agent_line_flags, lexical_raised


def test_person_names_are_the_words_tagged_as_names() -> None:
    text = "麻烦你跟王磊讲一声"
    assert [text[s:e] for s, e in person_names(text)] == ["王磊"]
    assert person_names("好的谢谢您再见") == ()  # jieba's nr on a greeting is no name
    assert person_names("您明天下午三点前还款可以吗") == ()


def test_person_name_is_a_builtin_term_not_an_unknown_concept() -> None:
    expr = parse_expr("contacts+ >4 person_name", {"contacts"})
    assert expr.terms[1].concepts == (("person_name", False),)
    with pytest.raises(ExprError, match="unknown concept 'person_nam'"):
        parse_expr("contacts+ >4 person_nam", {"contacts"})


def test_a_pack_may_use_person_name(tmp_path: Path) -> None:
    pack = tmp_path / "named.toml"
    pack.write_text('[[rule]]\nid = "mine.named"\ncategory = "third_party_disclosure"\n'
                    'near = ["跟 >1 person_name >3 讲 >s 欠款"]\n', "utf-8")
    assert check_pack(pack) == []
    rules = load_rules([pack, BUILTIN_DIR / "context.toml", BUILTIN_DIR / "concepts.toml"],
                       builtin=False)
    named = agent_line_flags(rules, "你跟王磊讲，他的欠款该还了")
    assert {f["rule"] for f in named} == {"mine.named"}
    assert agent_line_flags(rules, "你跟他讲，欠款该还了") == []


@pytest.mark.parametrize("text", [
    "您同事赵刚在我们这借的钱一直没还，您见到他提醒一下。",
    "跟陈红说一声，她那张信用卡再不还就要上报了。",
])
def test_a_named_third_persons_debt_is_disclosure(rules: RuleSet, text: str) -> None:
    assert "third_party_disclosure" in lexical_raised(rules, text)


@pytest.mark.parametrize("text", [
    "王建国先生，您的欠款已经逾期十天了。",  # the debtor by name: said to them
    "请问您认识赵刚吗？方便的话请他回个电话。",  # a call-back request names no debt
    "我们不会跟您同事赵刚说您欠款的事。",  # negated
])
def test_a_name_alone_or_said_to_the_debtor_is_no_disclosure(rules: RuleSet, text: str) -> None:
    assert "third_party_disclosure" not in lexical_raised(rules, text)


def test_kin_title_as_vocative_is_no_curse(rules: RuleSet) -> None:
    assert "abuse" not in lexical_raised(rules, "奶奶，您别着急，我慢慢跟您说。")
    assert "abuse" in lexical_raised(rules, "你大爷！")
    assert "abuse" in lexical_raised(rules, "妈的，又不接电话。")


@pytest.mark.parametrize("text,category", [
    ("瞧瞧你那熊样，还好意思哭穷。", "abuse"),
    ("你是不是拿去赌了，几千块都没有？", "abuse"),
    ("工资都发不出来，活着又有什么意思。", "abuse"),
    ("全单位都知道了，看你还怎么做人。", "threat"),
    ("别老问我，自己去查。", "impatience"),
])
def test_rules9_classes(rules: RuleSet, text: str, category: str) -> None:
    assert category in lexical_raised(rules, text)


@pytest.mark.parametrize("text", [
    "有不清楚的地方您随时可以问我。",
    "您别不好意思问我，这是我的工作。",
    "以后怎么还款，我们一起商量一下。",
])
def test_rules9_look_alikes_stay_clean(rules: RuleSet, text: str) -> None:
    assert lexical_raised(rules, text) == set()


@pytest.mark.parametrize("text", [
    "我跟你说，法院不会通过电话通知您案件进度，如果有人这样说请您提高警惕。",
    "我跟你说啊，您的个人信息我们会严格保密。",
    "说实话，法院是否立案我们并不清楚，以法院的通知为准。",
])
def test_a_discourse_marker_clause_tells_no_one(rules: RuleSet, text: str) -> None:
    assert lexical_raised(rules, text) == set()


def test_a_discourse_marker_leaves_the_next_clause_judged(rules: RuleSet) -> None:
    assert "threat" in lexical_raised(rules, "我跟你说，明天我们就上门去你家。")
    assert "false_legal" in lexical_raised(rules, "我告诉你，警察已经在来抓你的路上了。")


def test_discourse_markers_are_read_from_context() -> None:
    packs = [BUILTIN_DIR / p for p in ("context.toml", "concepts.toml")]
    assert "我跟你说" in load_rules(packs, builtin=False).context.discourse_markers


@pytest.mark.parametrize("text,category", [
    ("您是猪吗？说了半天还听不明白。", "abuse"),  # the polite pronoun in a rude pattern
    ("是猪吗？说了半天还听不明白。", "abuse"),  # the subject dropped
    ("懂还是我懂？照我说的办就完了。", "impatience"),
])
def test_patterns_read_the_polite_and_the_dropped_subject(rules: RuleSet, text: str,
                                                           category: str) -> None:
    assert category in lexical_raised(rules, text)


def test_a_dropped_subject_leaves_anchored_patterns_alone(rules: RuleSet) -> None:
    # ^(你|…)大爷$ is a curse; the bare title is a vocative and gets no 你 put before it
    assert "abuse" not in lexical_raised(rules, "大爷，您儿子在家吗？")
