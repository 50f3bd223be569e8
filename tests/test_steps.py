"""Script steps, missing-step flags, disclosure before verification, third-party disclosure."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import classify_reply
from tests.helpers import categories as cats


def call(*turns: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"speaker": sp, "start": 3.0 * i, "end": 3.0 * i + 2.5, "text": text, "channel": 0}
            for i, (sp, text) in enumerate(turns)]


COMPLIANT = call(
    ("agent", "您好，请问是张伟先生本人吗？"),
    ("customer", "对，是我。"),
    ("agent", "我是瑞丰消费金融委托的贷后专员，工号幺零二四七。您的消费贷款尾号三八六二，"
              "欠款一万二千三百四十五元，逾期十八天了。"),
    ("customer", "最近手头有点紧。"),
    ("agent", "逾期会影响您的个人征信，您看哪天能还款？"),
    ("customer", "十二月五号发工资，先还六千行吗？"),
    ("agent", "可以，跟您确认，二零二六年十二月五日之前还款六千元，对吗？"),
    ("customer", "对。"),
    ("agent", "好的，感谢您的配合，再见。"),
)



def test_compliant_call_has_every_step_and_no_flag(rules: RuleSet) -> None:
    flags, steps = audit_utterances(COMPLIANT, rules)
    assert flags == []
    assert steps == {"greeting": True, "self_identification": True,
                     "identity_verification": True, "debt_disclosure": True,
                     "consequence_notice": True, "repayment_plan": True, "closing": True}


def test_missing_greeting_and_closing(rules: RuleSet) -> None:
    turns = [dict(u) for u in COMPLIANT]
    turns[0]["text"] = "喂，张伟是吧？是你本人吗？"
    turns[-1]["text"] = "好，就这样。"
    flags, steps = audit_utterances(turns, rules)
    assert steps["greeting"] is False and steps["closing"] is False
    assert cats(flags) == {"missing_greeting", "missing_closing"}
    closing = next(f for f in flags if f["category"] == "missing_closing")
    assert closing["start"] == turns[-1]["start"] and closing["severity"] == "minor"


def test_greeting_late_in_the_call_does_not_count(rules: RuleSet) -> None:
    turns = call(("agent", "喂，是张伟本人吗？"), ("customer", "是我"),
                 ("agent", "我是瑞丰消费金融的贷后专员。"), ("agent", "你好，你的欠款还没还。"),
                 ("agent", "感谢配合，再见"))
    _, steps = audit_utterances(turns, rules)
    assert steps["greeting"] is False


def test_missing_self_identification(rules: RuleSet) -> None:
    turns = [dict(u) for u in COMPLIANT]
    turns[2]["text"] = "我这边是负责您账单的，提醒您一下。您尾号五零四二的信用卡欠款六千一百元。"
    flags, steps = audit_utterances(turns, rules)
    assert steps["self_identification"] is False
    assert cats(flags) == {"missing_self_identification"}


def test_disclosure_before_verification(rules: RuleSet) -> None:
    turns = call(
        ("agent", "您好，我是广联银行信用卡中心的贷后专员，工号三八二幺五。您尾号九零二六的信用卡"
                  "欠款一万零五百元，已经逾期三十天了。请问您是朱婷女士本人吗？"),
        ("customer", "是我。"),
        ("agent", "朱女士，逾期会影响您的个人征信，这笔欠款您看什么时候能处理？"),
        ("customer", "我分两次还行吗？"),
        ("agent", "感谢您的配合，再见。"),
    )
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] is True
    assert cats(flags) == {"disclosure_before_verification"}
    f = flags[0]
    assert f["start"] == 0.0 and f["severity"] == "major" and "逾期" in f["matched"]


def test_never_verified_means_missing_verification_and_early_disclosure(rules: RuleSet) -> None:
    turns = call(
        ("customer", "喂？"),
        ("agent", "您好，我是锦程消费金融委托的贷后专员，工号二六九零四。"),
        ("customer", "嗯，什么事？"),
        ("agent", "马先生，您的分期贷款尾号幺幺八七，欠款三千九百元，已经逾期十二天了。"),
        ("customer", "我这两天就还。"),
        ("agent", "逾期会影响您的个人征信，请尽快处理。您具体哪天还？"),
        ("agent", "感谢您的配合，再见。"),
    )
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] is False
    assert cats(flags) == {"missing_identity_verification", "disclosure_before_verification"}


def test_third_party_answered_and_was_told_the_debt(rules: RuleSet) -> None:
    turns = call(
        ("agent", "您好，请问是赵磊先生本人吗？"),
        ("customer", "不是，我是他爱人，他不在家。"),
        ("agent", "我是宏达银行信用卡中心的贷后专员，工号四零八八二。赵磊的信用卡欠款一万五千元，"
                  "已经逾期七十天了。"),
        ("customer", "啊？他从来没跟我说过。"),
        ("agent", "感谢您的配合，再见。"),
    )
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] is False
    assert cats(flags) == {"third_party_disclosure", "missing_identity_verification",
                           "disclosure_before_verification"}
    tp = next(f for f in flags if f["category"] == "third_party_disclosure")
    assert tp["severity"] == "critical" and tp["start"] == 6.0


def test_third_party_only_asked_to_pass_a_message_is_fine(rules: RuleSet) -> None:
    turns = call(
        ("agent", "您好，请问是赵磊先生本人吗？"),
        ("customer", "不是，我是他同事。"),
        ("agent", "好的，麻烦您转告他回个电话，谢谢，再见。"),
    )
    flags, _ = audit_utterances(turns, rules)
    assert "third_party_disclosure" not in cats(flags)
    assert "disclosure_before_verification" not in cats(flags)


def test_debtor_comes_to_the_phone_after_a_third_party(rules: RuleSet) -> None:
    turns = call(
        ("agent", "您好，请问是赵磊先生本人吗？"),
        ("customer", "他不在，你等一下。"),
        ("agent", "请问您是赵磊先生本人吗？"),
        ("customer", "是我。"),
        ("agent", "我是宏达银行信用卡中心的贷后专员，您的信用卡欠款一万五千元，已经逾期七十天了。"),
        ("agent", "感谢您的配合，再见。"),
    )
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] is True
    assert not cats(flags) & {"third_party_disclosure", "disclosure_before_verification"}


def test_only_agent_utterances_count_for_steps(rules: RuleSet) -> None:
    turns = call(("customer", "您好，我是张伟，感谢，再见"), ("agent", "嗯"))
    _, steps = audit_utterances(turns, rules)
    assert steps["greeting"] is False and steps["closing"] is False


def test_no_agent_speech_raises_no_step_flags(rules: RuleSet) -> None:
    turns = [dict(u, speaker="unknown") for u in COMPLIANT]
    flags, steps = audit_utterances(turns, rules)
    assert flags == []
    assert not any(steps.values())


@pytest.mark.parametrize(
    ("reply", "result"),
    [("是的，我是。", "confirm"), ("嗯，什么事？", "confirm"), ("对，我是刘洋。", "confirm"),
     ("不是，你打错了", "deny"), ("我是他老婆", "deny"), ("他不在家", "deny"),
     ("你哪位？", "question")],
)
def test_classify_reply(rules: RuleSet, reply: str, result: str | None) -> None:
    assert classify_reply(reply, rules) == result


def test_repeating_the_asked_name_confirms(rules: RuleSet) -> None:
    assert classify_reply("刘洋，怎么了", rules, name="刘洋") == "confirm"
