"""Matcher mechanisms of rules round 5 (issue 12), each with lines written for this file in our
own words, violating and compliant: the 不 of an A-not-A question is no negation; a quote
marker naming what was said as a noun phrase (你问的这个) quotes only its own clause; a refusal
or warning (我们不接受, 请不要相信) cancels a push under ``unless = ["refusal"]``; a verb-object
member said with 把 (把脸丢尽) and a member without its opening 跟你; patterns see a clause's
final question mark."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.compliance.concepts import ba_forms, compile_ba, member_regex
from auditor.compliance.matching import mask_a_not_a, negated, refused
from auditor.compliance.rules import RuleSet, load_rules
from tests.helpers import lexical_raised as cats

# ------------------------------------------------------------------ A-not-A is no negation

def test_a_not_a_is_masked_but_plain_negation_stays() -> None:
    assert "不能" not in mask_a_not_a("你哥能不能先借你点")
    assert "没有" not in mask_a_not_a("你有没有别的卡")
    assert mask_a_not_a("我们不能这样做") == "我们不能这样做"
    assert len(mask_a_not_a("要不要试试")) == len("要不要试试")


def test_negated_ignores_a_not_a(rules: RuleSet) -> None:
    ctx = rules.context
    text = "你表姐可不可以先借你两千"
    assert not negated(text, text.index("先借"), ctx)
    text = "我们不能让你去借钱"
    assert negated(text, text.index("借钱"), ctx)


@pytest.mark.parametrize("line", ["你同事那边可不可以先借你点，把逾期先还了？",
                                  "你舅舅能不能先借你几千，把欠款先还上？"])
def test_a_not_a_push_is_flagged(rules: RuleSet, line: str) -> None:
    assert "new_loan" in cats(rules, line)


def test_plain_negated_push_is_not_flagged(rules: RuleSet) -> None:
    assert "new_loan" not in cats(rules, "我们不会让您找亲戚借钱来还款。")


# ------------------------------------------------------------------ nominal quote markers

def test_nominal_quote_marker_quotes_only_its_clause(rules: RuleSet) -> None:
    assert "impatience" in cats(rules, "您说的那些跟这笔账没关系，别浪费时间。")


def test_verbal_quote_marker_still_quotes_the_sentence(rules: RuleSet) -> None:
    assert not cats(rules, "您是说我们的人会去您单位闹吗？不会的。")


# ------------------------------------------------------------------ refusals and warnings

def test_refused_scope_is_the_rest_of_the_clause(rules: RuleSet) -> None:
    ctx = rules.context
    text = "我们平台不接受用花呗套现来还"
    assert refused(text, text.index("套现"), ctx) == "不接受"
    text = "不接受的话就去借呗借一笔"  # a breaker between: the push stands
    assert refused(text, text.index("借呗"), ctx) == ""


@pytest.mark.parametrize("line", ["我们不允许用信用卡套现的方式还款，请走官方渠道。",
                                  "千万别信那些让您刷花呗套现还款的人。",
                                  "我们禁止任何人让您借网贷来还我们。"])
def test_refusal_or_warning_is_not_a_push(rules: RuleSet, line: str) -> None:
    assert "new_loan" not in cats(rules, line)


def test_push_next_to_a_refusal_still_counts(rules: RuleSet) -> None:
    # the refusal is in another clause: the push in the second clause stands
    assert "new_loan" in cats(rules, "我们不接受分期，你直接去借呗借一笔先还了。")


# ------------------------------------------------------------------ 把 forms, dropped 跟你

def test_ba_forms_split_verb_and_object() -> None:
    assert ("腿", "打断") in ba_forms("打断你的腿")
    assert ba_forms("押出去") == []  # a direction is no object
    assert ba_forms("说不通") == []  # a negated complement is no object
    rx = compile_ba(("丢尽了脸",))
    assert rx is not None and rx.search("把我们全家的脸都丢尽了")
    assert not rx.search("把账单发给你，丢了再补")


def test_ba_form_of_an_insult_is_flagged(rules: RuleSet) -> None:
    assert "abuse" in cats(rules, "你这是把祖宗的脸都丢尽了。")


def test_opening_preposition_and_pronoun_are_optional() -> None:
    import re
    rx = re.compile(member_regex("跟你说不通"))
    assert rx.search("这人怎么就说不通") and rx.search("跟他说不通")
    # a short remainder keeps its pronoun: 给你脸 never shrinks to 脸
    assert not re.compile(member_regex("给你脸")).fullmatch("脸")


def test_dropped_pronoun_impatience_is_flagged_but_topic_is_not(rules: RuleSet) -> None:
    assert "impatience" in cats(rules, "怎么就讲不通呢你。")
    assert not cats(rules, "这个方案我们内部讨论过，行得通。")


# ------------------------------------------------------------------ question mark for patterns

def test_pattern_sees_the_final_question_mark(tmp_path: Path) -> None:
    pack = tmp_path / "q.toml"
    pack.write_text('[pack]\nname = "q"\n\n[[rule]]\nid = "q.why_ask"\ncategory = "impatience"\n'
                    'patterns = ["问这个干(嘛|什么)？"]\n', encoding="utf-8")
    rs = load_rules([pack], builtin=False)
    assert "impatience" in cats(rs, "你问这个干嘛？")
    assert "impatience" not in cats(rs, "你问这个干嘛，我来解释。")


def test_concept_member_sees_the_final_question_mark(tmp_path: Path) -> None:
    pack = tmp_path / "q.toml"
    pack.write_text('[pack]\nname = "q"\n\n[concept.why_bother]\nmembers = ["图什么？"]\n\n'
                    '[[rule]]\nid = "q.why"\ncategory = "impatience"\nconcepts = ["why_bother"]\n',
                    encoding="utf-8")
    rs = load_rules([pack], builtin=False)
    assert "impatience" in cats(rs, "你这样拖着图什么？")
    assert "impatience" not in cats(rs, "图什么方便就怎么还。")


def test_one_inserted_word_between_a_members_words() -> None:
    from auditor.compliance.concepts import gap_pairs
    from auditor.compliance.matching import gap_spans
    from auditor.compliance.tokens import Clause
    pairs = gap_pairs(("赶紧去借钱",))
    c = Clause.make("你赶紧去找人借钱")
    assert [c.text[s:e] for s, e in gap_spans(c, pairs)] == ["赶紧去找人借钱"]
    # an inserted negation, or more than one short word, is no gap
    assert gap_spans(Clause.make("赶紧去别借钱"), pairs) == []
    assert gap_spans(Clause.make("赶紧去银行柜台借钱"), pairs) == []
    assert gap_pairs(("借钱",)) == ()  # short members are never split


def test_forbidden_visit_is_reassurance_but_a_visit_after_but_is_not(rules: RuleSet) -> None:
    assert "threat" not in cats(rules, "我们机构严禁员工到客户单位催收。")
    assert "threat" in cats(rules, "公司是不允许，但我们照样会去你单位找你。")


def test_pattern_anchored_at_clause_end_still_matches_a_question(tmp_path: Path) -> None:
    pack = tmp_path / "q.toml"
    pack.write_text('[pack]\nname = "q"\n\n[[rule]]\nid = "q.end"\ncategory = "impatience"\n'
                    'patterns = ["还问什么$"]\n', encoding="utf-8")
    rs = load_rules([pack], builtin=False)
    assert "impatience" in cats(rs, "都说清楚了还问什么？")
