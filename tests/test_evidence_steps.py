"""Flags judged on evidence: uncertain text and speakers, unclear replies, steps on real wording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.evidence import (
    LOW_CONFIDENCE,
    UNKNOWN_SPEAKER,
    UNSETTLED_SPEAKER,
    load_evidence,
    uncertain_reasons,
)
from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import classify_reply, identity_question, self_identifies
from auditor.core.config import ConfigError
from tests.helpers import categories as cats
from tests.helpers import turns_call

MAJOR_STEP = {"missing_identity_verification", "disclosure_before_verification"}




call = turns_call



def verification_call(reply: str, conf: float | None = None,
                      after: str = "嗯，知道了。") -> list[dict[str, Any]]:
    return call(
        ("agent", "您好，请问是张伟先生本人吗？"),
        ("customer", reply, conf),
        ("agent", "我是瑞丰消费金融委托的贷后专员，工号幺零二四七。您的消费贷款欠款一万二千元，"
                  "已经逾期十八天了。"),
        ("customer" if "老赖" not in after else "agent", after),
        ("agent", "逾期会影响您的个人征信，您看哪天能还款？"),
        ("customer", "下周五吧。"),
        ("agent", "好的，感谢您的配合，再见。"),
    )


# ----------------------------------------------------------------------------- uncertain


def test_every_flag_carries_uncertain(rules: RuleSet) -> None:
    flags, _ = audit_utterances(verification_call("对，是我。", after="你这个老赖。"), rules)
    assert flags and all(isinstance(f["uncertain"], bool) for f in flags)
    abuse = [f for f in flags if f["category"] == "abuse"]
    assert abuse and abuse[0]["uncertain"] is False and "uncertain_reasons" not in abuse[0]


def test_low_confidence_evidence_is_uncertain(rules: RuleSet) -> None:
    flags, _ = audit_utterances(call(("agent", "你这个老赖。", 0.2)), rules)
    abuse = [f for f in flags if f["category"] == "abuse"]
    assert abuse and abuse[0]["uncertain"] is True
    assert LOW_CONFIDENCE in abuse[0]["uncertain_reasons"]


def test_unknown_speaker_agent_category_is_raised_uncertain(rules: RuleSet) -> None:
    turns = call(("agent", "您好，请问是张伟先生吗？"), ("customer", "是我。"),
                 ("unknown", "你这个老赖，不还钱就去你单位闹。"))
    flags, _ = audit_utterances(turns, rules)
    raised = [f for f in flags if f["category"] in ("abuse", "threat")]
    assert raised, "an agent-category match on an unknown line must not be dropped"
    assert all(f["uncertain"] and UNKNOWN_SPEAKER in f["uncertain_reasons"] for f in raised)


def test_unsettled_posterior_raises_uncertain_settled_customer_never(rules: RuleSet) -> None:
    line = "你这个老赖，不还钱就去你单位闹。"
    unsettled = call(("customer", line, None, 0.5))
    settled = call(("customer", line, None, 0.05))
    flags_u, _ = audit_utterances(unsettled, rules)
    flags_s, _ = audit_utterances(settled, rules)
    assert "abuse" in cats(flags_u)
    assert all(UNSETTLED_SPEAKER in f["uncertain_reasons"] for f in flags_u
               if f["category"] == "abuse")
    assert not cats(flags_s) & {"abuse", "threat"}


def test_uncertain_reasons_fuzzy_match_on_weak_line() -> None:
    ev = load_evidence()
    weak = {"speaker": "agent", "text": "x", "confidence": (ev.low_confidence
                                                            + ev.fuzzy_low_confidence) / 2}
    assert uncertain_reasons([weak], "pinyin", ev) != []
    assert uncertain_reasons([weak], "word", ev) == []
    assert uncertain_reasons([{"speaker": "agent", "text": "x"}], "pinyin", ev) == []


def test_evidence_settings_errors_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "evidence.toml"
    p.write_text("[confidence]\nlow = 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        load_evidence(p)


# ----------------------------------------------------------------------------- replies


@pytest.mark.parametrize("misheard", ["事", "四", "嗯", "是", "恩", "诗。"])
def test_misheard_short_reply_low_confidence_gives_no_major_flag(rules: RuleSet,
                                                                 misheard: str) -> None:
    flags, _ = audit_utterances(verification_call(misheard, 0.3, after="好。"), rules)
    assert not cats(flags) & MAJOR_STEP
    assert all(f["severity"] in ("info", "minor") and f["uncertain"] for f in flags)


def test_unintelligible_short_reply_is_unclear(rules: RuleSet) -> None:
    flags, _ = audit_utterances(verification_call("四", None, after="好。"), rules)
    assert not cats(flags) & MAJOR_STEP


def test_unclear_reply_then_engagement_confirms(rules: RuleSet) -> None:
    _, steps = audit_utterances(verification_call("事", 0.3, after="我下周还。"), rules)
    assert steps["identity_verification"] is True


def test_clear_denial_then_disclosure_still_flags(rules: RuleSet) -> None:
    flags, _ = audit_utterances(verification_call("不是，你打错了。"), rules)
    assert {"third_party_disclosure", "disclosure_before_verification",
            "missing_identity_verification"} <= cats(flags)
    assert all(not f["uncertain"] for f in flags if f["category"] in MAJOR_STEP)


@pytest.mark.parametrize("reply", ["我是他同事，他出去了。", "我是她妈。", "你找谁？"])
def test_third_party_naming_themselves_is_a_denial(rules: RuleSet, reply: str) -> None:
    assert classify_reply(reply, rules) == "deny"
    flags, _ = audit_utterances(verification_call(reply), rules)
    assert "third_party_disclosure" in cats(flags)


def test_question_back_decides_nothing(rules: RuleSet) -> None:
    assert classify_reply("你是谁啊？", rules) == "question"


# ----------------------------------------------------------------------------- recognisers


@pytest.mark.parametrize("text", ["张伟吗？", "喂，是李明吗", "王总是吧？", "请问您是刘洋女士吗？",
                                  "您是本人吗？", "是不是陈静本人？", "赵老师对吧？"])
def test_identity_question_by_name_or_title(rec, text: str) -> None:
    assert identity_question(text, rec)[0]


@pytest.mark.parametrize("text", ["请问您现在方便接电话吗？", "您听清楚了吗？",
                                  "请问您还有什么问题吗？",
                                  "您好，这是给杨帆先生本人的留言。", "请问您什么时候能处理？"])
def test_polite_question_without_name_is_not_identity(rec, text: str) -> None:
    assert not identity_question(text, rec)[0]


def test_bare_name_question_counts_as_verification(rules: RuleSet) -> None:
    turns = call(("agent", "您好，张伟吗？"), ("customer", "对，是我。"),
                 ("agent", "我是瑞丰消费金融的客服，您的贷款欠款三千元，已经逾期十天了。"),
                 ("customer", "我下周还。"), ("agent", "好的，谢谢，再见。"))
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] and not cats(flags) & MAJOR_STEP


@pytest.mark.parametrize("text", ["我是闪电花的贷后专员", "这里是小鹿分期", "我这边是安心借的",
                                  "我是恒信金融的", "我们这边是北方银行",
                                  "长青小贷贷后部，工号三三",
                                  "北方银行信用卡中心，我姓李"])
def test_self_identification_by_frame_and_brand(rec, text: str) -> None:
    assert self_identifies(text, rec)


@pytest.mark.parametrize("text", ["我是说你借的钱要还", "我这边是负责您账单的", "我是想提醒您一下",
                                  "您的贷款部分还了吗"])
def test_frame_without_institution_is_not_self_identification(rec, text: str) -> None:
    assert not self_identifies(text, rec)


@pytest.mark.parametrize("last", ["好的，那先这样，不打扰您了。", "有问题随时联系我们。",
                                  "祝您生活愉快。",
                                  "好的，谢谢。", "那就这样，拜拜。", "感谢您的接听。"])
def test_closing_variants(rules: RuleSet, last: str) -> None:
    turns = verification_call("对，是我。")
    turns[-1]["text"] = last
    flags, steps = audit_utterances(turns, rules)
    assert steps["closing"] and "missing_closing" not in cats(flags)


def test_no_closing_still_flags_when_last_turn_is_clear(rules: RuleSet) -> None:
    turns = verification_call("对，是我。")
    turns[-1]["text"] = "好，就这样。"
    assert "missing_closing" in cats(audit_utterances(turns, rules)[0])


def test_low_confidence_last_turn_gives_no_missing_closing(rules: RuleSet) -> None:
    turns = verification_call("对，是我。")
    turns[-1].update(text="好的干些你的陪和", confidence=0.2)
    flags, _ = audit_utterances(turns, rules)
    assert "missing_closing" not in cats(flags)
    assert any(f["category"].startswith("info_") and f["uncertain"] for f in flags)


def test_missing_step_needs_enough_confident_agent_speech(rules: RuleSet) -> None:
    turns = call(("agent", "喂喂", 0.2), ("customer", "喂？"), ("agent", "嗯嗯", 0.3))
    flags, _ = audit_utterances(turns, rules)
    assert not cats(flags) & {"missing_self_identification", "missing_identity_verification"}


# ----------------------------------------------------------------------------- sample truths

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "calls"


@pytest.mark.parametrize("truth", sorted(SAMPLES.glob("*.truth.json")), ids=lambda p: p.stem)
def test_sample_truth_transcripts_raise_their_rule_flags(rules: RuleSet, truth: Path) -> None:
    t = json.loads(truth.read_text(encoding="utf-8"))
    flags, _ = audit_utterances(t["utterances"], rules)
    voice = {"speech_rate_fast", "shouting", "long_silence", "interruption"}
    got = {c for c in cats(flags) if not c.startswith("info_")}
    assert got == set(t.get("expected_flags", [])) - voice
