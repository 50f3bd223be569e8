"""Script steps from what the recogniser made of the call: step words heard on sound, the staff
number, replies run into the agent's line, and missing steps only on an intelligible opening."""

from __future__ import annotations

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet
from auditor.compliance.sounds import fuzzy_syllable
from auditor.compliance.steps import (
    classify_reply,
    heard_as,
    identity_question,
    self_identifies,
    staff_number,
)
from tests.helpers import categories as cats
from tests.helpers import turns_call

MAJOR_STEP = {"missing_identity_verification", "disclosure_before_verification",
              "missing_self_identification"}




call = turns_call



# ----------------------------------------------------------------------------- on sound


def test_fuzzy_syllables_merge_the_input_method_pairs() -> None:
    assert fuzzy_syllable("zhang") == fuzzy_syllable("zan")
    assert fuzzy_syllable("shi") == fuzzy_syllable("si")
    assert fuzzy_syllable("ling") == fuzzy_syllable("nin")
    assert fuzzy_syllable("gong") != fuzzy_syllable("kong")


@pytest.mark.parametrize(("heard", "word"), [("公号", "工号"), ("功耗", "工号"), ("克服", "客服"),
                                             ("女师", "女士"), ("戴后专员", "贷后专员")])
def test_step_words_are_heard_on_sound(rec, heard: str, word: str) -> None:
    assert word in heard_as(f"我这边{heard}，", rec)


def test_numerals_and_words_written_right_are_kept(rec) -> None:
    assert heard_as("工号二六九零四", rec) == "工号二六九零四"  # 零四 sounds like 您是
    assert "女士本人" in heard_as("请问是胡女士本人吗", rec)


@pytest.mark.parametrize("text", ["义达代代后部，公号八四九六零", "公后五九三四七，您的借款",
                                  "勾号五五八九九", "工号是 7-4-0-5"])
def test_staff_number_on_sound(rec, text: str) -> None:
    assert staff_number(text, rec)
    assert self_identifies(text, rec)


@pytest.mark.parametrize("text", ["您尾号二四四五的信用卡", "工号多少您记一下", "五号之前还款"])
def test_no_staff_number_without_the_word_and_digits(rec, text: str) -> None:
    assert not staff_number(text, rec)


@pytest.mark.parametrize("text", ["您好，麻烦确认一下，您是吴文博先生本人吧。",
                                  "你好请问是彭春美女是本人卖我这边是"])
def test_identity_question_with_its_particle_misheard_or_lost(rec, text: str) -> None:
    assert identity_question(text, rec)[0]


# ----------------------------------------------------------------------------- replies


def test_low_confidence_long_reply_that_decides_nothing_is_unclear(rules: RuleSet) -> None:
    reply = {"text": "我们去等你说", "confidence": 0.4}
    assert classify_reply(reply, rules) == "unclear"
    assert classify_reply("我们去等你说", rules) is None


def test_talking_of_the_debt_as_ones_own_is_no_denial(rules: RuleSet) -> None:
    assert classify_reply("我不是不还，那就月底吧。", rules) != "deny"
    assert classify_reply("不是，我是他妈妈，他不在。", rules) == "deny"


def test_question_back_is_recognised_on_a_weak_line(rules: RuleSet) -> None:
    assert classify_reply({"text": "什么事？", "confidence": 0.2}, rules) == "question"


OPENING = "您好，请问是张伟先生本人吗？"
INTRO = "我是瑞丰消费金融委托的贷后专员，工号幺零二四七。"
DEBT = "您在瑞丰消费金融的借款欠款一万二千元，已经逾期十八天了。"


def test_unclear_reply_then_agent_addresses_the_debtor_no_major_flag(rules: RuleSet) -> None:
    flags, steps = audit_utterances(call(
        ("agent", OPENING), ("customer", "我们去等你说", 0.4), ("agent", INTRO + DEBT),
        ("customer", "好吧。"), ("agent", "好的，感谢您的配合，再见。")), rules)
    assert steps["identity_verification"] is True
    assert not cats(flags) & MAJOR_STEP


def test_denial_run_into_the_agents_line_is_a_denial(rules: RuleSet) -> None:
    flags, steps = audit_utterances(call(
        ("agent", OPENING), ("agent", "不是，我是他妈妈，他不在。" + INTRO + DEBT),
        ("customer", "他从来没跟我说过。"), ("agent", "好的，再见。")), rules)
    assert steps["identity_verification"] is False
    assert {"missing_identity_verification", "third_party_disclosure"} <= cats(flags)


def test_reply_in_the_question_line_confirms(rules: RuleSet) -> None:
    flags, steps = audit_utterances(call(
        ("agent", "您好，请问是曹女士吗？对，是我。" + INTRO), ("customer", "嗯。"),
        ("agent", DEBT), ("customer", "我知道。"), ("agent", "好的，感谢您的配合，再见。")), rules)
    assert steps["identity_verification"] is True
    assert not cats(flags) & MAJOR_STEP


def test_an_answer_to_a_question_not_heard_confirms(rules: RuleSet) -> None:
    flags, steps = audit_utterances(call(
        ("agent", "请您马上处理。"), ("customer", "我就是，你哪位？"), ("agent", INTRO + DEBT),
        ("customer", "我知道。"), ("agent", "好的，感谢您的配合，再见。")), rules)
    assert steps["identity_verification"] is True
    assert not cats(flags) & {"missing_identity_verification", "disclosure_before_verification"}


# ----------------------------------------------------------------------------- missing steps


def test_garbled_opening_is_unclear_not_missing(rules: RuleSet) -> None:
    flags, _ = audit_utterances(call(
        ("agent", "您好，大要能，请问世歇先生吗？", 0.2), ("customer", "是。", 0.2),
        ("agent", "义达代，在海三万六千零八十三人，先天打电话。", 0.25),
        ("customer", "我下周还。"), ("agent", "好的，感谢您的配合，再见。")), rules)
    assert not cats(flags) & MAJOR_STEP
    assert "info_step_unclear" in cats(flags)


def test_intelligible_opening_without_intro_is_missing(rules: RuleSet) -> None:
    flags, _ = audit_utterances(call(
        ("agent", OPENING, 0.6), ("customer", "是我，什么事？", 0.6),
        ("agent", "您的账单还有四千五百块没还，逾期六十一天了。", 0.45),
        ("customer", "嗯。"), ("agent", "逾期会影响您的信用记录，今天能先还一部分吗？", 0.5),
        ("customer", "好。"), ("agent", "好的，感谢您的配合，再见。")), rules)
    assert "missing_self_identification" in cats(flags)


def test_a_line_far_shorter_than_its_speech_is_no_evidence(rules: RuleSet) -> None:
    turns = call(("agent", "请您马上处理", 0.9), ("customer", "嗯。"),
                 ("agent", INTRO + DEBT), ("customer", "我知道。"), ("agent", "好的，再见。"))
    turns[0]["end"] = turns[0]["start"] + 2.5
    short = [f for f in audit_utterances(turns, rules)[0] if f["category"] == "missing_greeting"]
    turns[0]["end"] = turns[0]["start"] + 8.0  # six characters in eight seconds: words lost
    flags, _ = audit_utterances(turns, rules)
    assert short and "missing_greeting" not in cats(flags)


def test_confirmation_after_an_unclear_reply_dates_from_that_reply(rules: RuleSet) -> None:
    flags, steps = audit_utterances(call(
        ("agent", OPENING), ("customer", "是的！", 0.3),
        ("agent", "义达代贷后部，工号六五二二七，借款线款两万一千五百元。"),
        ("customer", "对，最近太难了，工资都没发。"),
        ("agent", "好的，感谢您的配合，再见。")), rules)
    assert steps["identity_verification"] is True
    assert "disclosure_before_verification" not in cats(flags)


def test_denial_is_read_on_the_written_words_only(rules: RuleSet) -> None:
    assert classify_reply({"text": "步在家", "confidence": 0.4}, rules) != "deny"


def test_staff_number_with_one_digit_misheard_inside(rec, rules: RuleSet) -> None:
    from auditor.compliance.steps import digit_misheard_inside

    # 幺 of 四七幺零三 heard as 央, 二 of 零八二三三 as 次: two digits on each side say it was one
    assert digit_misheard_inside("宫号四七央零三,") == "宫号四七〇零三,"
    assert staff_number("这里是任翔芬亲,我姓彭,宫号四七央零三。", rec)
    assert staff_number("公号零八次三三", rec)
    # a word between a number's digits with fewer than two on a side is left as heard
    for text in ("工号三腰六", "工号四七号", "欠款三万七千五百块"):
        assert digit_misheard_inside(text) == text
    assert not staff_number("工号四七号", rec)
    turns = turns_call(
        ("agent", "您好,请问是彭雪梅女士本人吗?", 0.47),
        ("customer", "不是,我是他同事,他不在。", 0.47),
        ("agent", "这里是任翔芬亲,我姓彭,宫号四七央零三。", 0.4),
        ("customer", "那你跟我说干什么?", 0.43), ("agent", "感谢您的配合,再见", 0.76))
    flags, steps = audit_utterances(turns, rules)
    assert steps["self_identification"] is True
    assert "missing_self_identification" not in cats(flags)
