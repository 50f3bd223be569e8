"""Engine operators added by rules4a (issue 12): per-hit exemptions on phrase rules, the
`procedure` exemption read over the whole sentence, the `advice` exemption, and a tell verb with
a potential complement aimed at the listener (联系不上您本人)."""

from __future__ import annotations

from pathlib import Path

from auditor.compliance.rulepack import check_pack
from auditor.compliance.rules import BUILTIN_DIR, RuleSet, load_rules
from tests.helpers import agent_line_flags


def fired(rules: RuleSet, text: str) -> set[str]:
    return {f["rule"] for f in agent_line_flags(rules, text, 1.0, 2.0)
            if not f["rule"].startswith("steps.")}


def _pack(tmp_path: Path, unless: str) -> RuleSet:
    (tmp_path / "visit.toml").write_text(
        '[[rule]]\nid = "mine.visit"\ncategory = "threat"\nphrases = ["外访"]\n'
        f"{unless}\n", "utf-8")
    assert check_pack(tmp_path / "visit.toml") == []
    return load_rules([tmp_path / "visit.toml", BUILTIN_DIR / "context.toml",
                       BUILTIN_DIR / "concepts.toml"], builtin=False)


def test_phrase_rule_honours_procedure_in_another_clause(tmp_path: Path) -> None:
    text = "如需外访，我们会提前和您预约"
    plain = _pack(tmp_path, "")
    assert "mine.visit" in fired(plain, text)  # without unless: today's meaning, a hit
    with_unless = _pack(tmp_path, 'unless = ["procedure"]')
    assert "mine.visit" not in fired(with_unless, text)
    assert "mine.visit" in fired(with_unless, "明天外访的人就到你家")


def test_unknown_unless_is_reported_by_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('[[rule]]\nid = "mine.x"\ncategory = "threat"\nphrases = ["外访"]\n'
                 'unless = ["advise"]\n', "utf-8")
    problems = check_pack(p)
    assert any(":5:" in x and "advice" in x for x in problems), problems


def test_advice_frame_exempts_only_its_own_clause(rules: RuleSet) -> None:
    assert not {r for r in fired(rules, "您可以把欠款的事跟家里人说一下，大家一起想办法")
                if r.startswith("third_party")}
    assert {r for r in fired(rules, "您可以先跟家人商量，不然我们就只能通知你家人你欠款的事了")
            if r.startswith("third_party")}


def test_tell_verb_aimed_at_the_listener(rules: RuleSet) -> None:
    said = "您留的紧急联系人，我们只在联系不上您本人时才会用，而且不会透露借款信息"
    assert not {r for r in fired(rules, said) if r.startswith("third_party")}
    assert {r for r in fired(rules, "你爸那边我们今天已经打过电话了")
            if r.startswith("third_party")}


def test_denying_a_classification_is_a_negation(rules: RuleSet) -> None:
    assert not {r for r in fired(rules, "这是民事纠纷，不涉及刑事责任，您不用担心")
                if r.startswith("false_legal")}
    assert {r for r in fired(rules, "你这个已经涉及刑事责任了") if r.startswith("false_legal")}


def test_echo_question_is_not_the_agents_claim(rules: RuleSet) -> None:
    assert not fired(rules, "您说警察上门了？那不是我们安排的")
    assert "threat.visit" in fired(rules, "你说我们明天去你家好不好？")  # a challenge, no echo


def test_sending_documents_to_us_is_no_exposure(rules: RuleSet) -> None:
    assert not fired(rules, "照片模糊了，麻烦您重新拍一张身份证发给我们")
    assert {r for r in fired(rules, "你老公的照片我们会做成通缉令的样子发出去")
            if r.startswith("threat")}
