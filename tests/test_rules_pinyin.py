"""Homophone (toneless pinyin) matching and its guards against false alarms."""

from __future__ import annotations

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.matching import analyse
from auditor.compliance.rules import RuleSet


def canon(rules: RuleSet, text: str) -> str:
    return "".join(analyse(text, rules).canon)


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("您的花贝已经于七三天了", "您的花呗已经逾期三天了"),
        ("您已经与其三天了", "您已经逾期三天了"),
        ("您的借贝欠款五千元", "您的借呗欠款五千元"),
        ("你的戒备已经逾期", "你的借呗已经逾期"),
        ("我的功耗是一二三四", "我的工号是一二三四"),
        ("您的千款金额是五千元", "您的欠款金额是五千元"),
        ("您的签款五千元", "您的欠款五千元"),
        ("会影响您的争信", "会影响您的征信"),
        ("您的花北账单", "您的花呗账单"),
    ],
)
def test_asr_homophones_of_domain_words_are_recovered(rules: RuleSet, heard: str,
                                                      meant: str) -> None:
    assert canon(rules, heard) == meant


@pytest.mark.parametrize(
    "text",
    [
        "与其这样拖着不如早点还清",  # 与其 is a common word: needs a debt anchor in its clause
        "符合预期",
        "分歧很大",
        "今年的雨季很长",
        "我们一起想想办法",  # yiqi is not yuqi
        "幺三九一七二三四五六七八",  # 一七 inside a run of numerals
    ],
)
def test_common_words_are_not_turned_into_domain_words(rules: RuleSet, text: str) -> None:
    assert canon(rules, text) == text


def test_pinyin_off_leaves_text_alone(rules: RuleSet) -> None:
    off = rules.with_pinyin(False)
    assert canon(off, "您的借贝欠款五千元") == "您的借贝欠款五千元"


def test_homophone_changes_step_and_flag_outcome(rules: RuleSet) -> None:
    # Debt stated (with ASR errors) before identity is confirmed.
    call = [
        {"speaker": "agent", "start": 0.0, "end": 3.0, "text": "您好，您的花北还没处理"},
        {"speaker": "agent", "start": 3.0, "end": 5.0, "text": "请问是张伟先生本人吗？"},
        {"speaker": "customer", "start": 5.0, "end": 6.0, "text": "是的"},
        {"speaker": "agent", "start": 6.0, "end": 8.0, "text": "感谢配合，再见"},
    ]
    flags_on, steps_on = audit_utterances(call, rules)
    flags_off, steps_off = audit_utterances(call, rules.with_pinyin(False))
    assert steps_on["debt_disclosure"] is True
    assert steps_off["debt_disclosure"] is False
    assert "disclosure_before_verification" in {f["category"] for f in flags_on}
    assert "disclosure_before_verification" not in {f["category"] for f in flags_off}
    flag = next(f for f in flags_on if f["category"] == "disclosure_before_verification")
    assert flag["matched"] == "花北"


def test_new_loan_through_homophone(rules: RuleSet) -> None:
    flags, _ = audit_utterances(
        [{"speaker": "agent", "start": 0, "end": 2, "text": "你用花贝套现先还上"}], rules)
    hit = [f for f in flags if f["category"] == "new_loan"]
    assert hit and hit[0]["via"] in ("pinyin", "pattern", "word")
    # 借一笔…还上 is a push on its own (new_loan.credit_act); the homophone 戒备 for 借呗 is found
    # only with pinyin matching on
    text = [{"speaker": "agent", "start": 0, "end": 2, "text": "去戒备借一笔还上"}]
    flags_off, _ = audit_utterances(text, rules.with_pinyin(False))
    flags_on, _ = audit_utterances(text, rules)
    on = [f for f in flags_on if f["category"] == "new_loan"]
    assert any("戒备" in f["matched"] and f["via"] == "pinyin" for f in on)
    assert not any("戒备" in f["matched"] for f in flags_off if f["category"] == "new_loan")
    assert "new_loan" in {f["category"] for f in flags_off}


def test_single_syllable_phrases_never_match_by_pinyin(rules: RuleSet) -> None:
    from auditor.compliance.matching import pinyin_spans
    from auditor.compliance.tokens import Clause

    assert pinyin_spans(Clause.make("我们换一下"), "还", rules.context) == []
