"""Evidence from audio: weak matches, garbled openings and unclear replies judged as such.

Each test builds the recogniser's kind of failure (a sound-alike word, a greeting with one final
lost, an opening line that lost its words, a reply read into a line of the wrong speaker) in
words of its own, and checks the flag follows the evidence, not one character.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.evidence import load_evidence, sound_only_unheard
from auditor.compliance.rules import RuleSet
from auditor.compliance.sounds import sounds_nearly
from auditor.compliance.steps import (
    garbled_introduction,
    greets,
    misattributed_confirmation,
    strong_denial,
)
from tests.helpers import categories as cats
from tests.helpers import turns_call as call

MAJOR_STEP = {"missing_identity_verification", "disclosure_before_verification"}





def notes(flags: list[dict[str, Any]]) -> set[str]:
    return {f["rule"] for f in flags if f["category"] == "info_step_unclear"}


# ----------------------------------------------------------------------------- sound-only matches


@pytest.mark.parametrize(("conf", "raised", "uncertain"),
                         [(0.9, True, False), (0.6, True, True), (0.3, False, None)])
def test_sound_alike_match_is_weighed_by_the_line(rules: RuleSet, conf: float, raised: bool,
                                                  uncertain: bool | None) -> None:
    # 套现 heard as 套馅: found only on sound; trusted on a clear line, doubted on a middling
    # one, no evidence at all on a line the recogniser itself doubts
    flags, _ = audit_utterances(call(("agent", "我可以帮你信用卡套馅", conf)), rules)
    loan = [f for f in flags if f["category"] == "new_loan"]
    assert bool(loan) is raised
    if raised:
        assert loan[0]["via"] == "pinyin" and loan[0]["uncertain"] is uncertain


def test_the_word_heard_right_is_raised_on_a_weak_line(rules: RuleSet) -> None:
    flags, _ = audit_utterances(call(("agent", "我可以帮你信用卡套现", 0.3)), rules)
    loan = [f for f in flags if f["category"] == "new_loan"]
    assert loan and loan[0]["uncertain"] is True


def test_sound_only_unheard_reads_the_settings() -> None:
    ev = load_evidence()
    weak = {"text": "x", "confidence": ev.fuzzy_none_confidence / 2}
    assert sound_only_unheard(weak, ["pinyin", "pinyin"], ev)
    assert not sound_only_unheard(weak, ["pinyin", "word"], ev)
    assert not sound_only_unheard(weak, [], ev)
    assert not sound_only_unheard({"text": "x"}, ["pinyin"], ev)  # a transcript's line


# ----------------------------------------------------------------------------- the greeting


def test_sounds_nearly_allows_one_final_lost() -> None:
    assert sounds_nearly("剩午好", "上午好")  # sheng for shang: same initial
    assert not sounds_nearly("剩五吧", "上午好")  # two syllables off
    assert not sounds_nearly("看午好", "上午好")  # the odd syllable shares no initial
    assert not sounds_nearly("您号", "您好")  # two syllables: too short to allow one off
    assert not sounds_nearly("上午", "上午好")  # a different length


def test_greeting_heard_nearly_only_where_it_stands(rec) -> None:
    assert greets("晚尚号，请问是周先生吗？", rec)
    assert not greets("请问是周先生吗？晚尚号", rec)  # not the clause that opens the turn
    assert not greets("喂，请问是周先生吗？", rec)


def test_garbled_greeting_raises_no_missing_greeting(rules: RuleSet) -> None:
    garbled = call(("agent", "下五号，请问是周明先生吗？", 0.35), ("customer", "是我。", 0.8),
                   ("agent", "我这边是安信贷客服，您在安信贷的借款逾期了。", 0.8),
                   ("agent", "好的，谢谢，再见。", 0.8))
    absent = [dict(garbled[0], text="请问是周明先生吗？")] + garbled[1:]
    assert "missing_greeting" not in cats(audit_utterances(garbled, rules)[0])
    assert "missing_greeting" in cats(audit_utterances(absent, rules)[0])


@pytest.mark.parametrize("opening", ["好，我这边是安信贷客服。请问是周明先生吗？",
                                     "也好请问是周明先生吗？", "1号请问是周明先生吗？"])
def test_a_greeting_that_lost_its_first_syllable_is_no_missing_greeting(
        rules: RuleSet, opening: str) -> None:
    # 您好 heard as 好 / 也好 / 1号 at the head of the first line, a clause break or the next
    # step after it: the greeting's absence is not shown (a note), nor is it taken as made
    turns = call(("agent", opening, 0.8), ("customer", "是我。", 0.8),
                 ("agent", "我这边是安信贷客服，您在安信贷的借款逾期了。", 0.8),
                 ("agent", "好的，谢谢，再见。", 0.8))
    flags, steps = audit_utterances(turns, rules)
    assert "missing_greeting" not in cats(flags) and "steps.greeting" in notes(flags)
    assert not steps["greeting"]
    # the same opening without that head: a missing greeting shown by an intelligible line
    bare = [dict(turns[0], text="请问是周明先生吗？我这边是安信贷客服。")] + turns[1:]
    assert "missing_greeting" in cats(audit_utterances(bare, rules)[0])
    # a head that does not end on the greeting's syllable is no hidden greeting (喂 is no 好)
    called = [dict(turns[0], text="喂，请问是周明先生吗？")] + turns[1:]
    assert "missing_greeting" in cats(audit_utterances(called, rules)[0])


def test_a_reply_word_of_an_unsettled_speaker_hides_no_greeting(rules: RuleSet) -> None:
    # the customer's 是的 attributed to nobody for sure: not an agent line the greeting may be in
    turns = call(("agent", "喂，周明先生是吧？", 0.6), ("agent", "是的", 0.2, 0.7),
                 ("agent", "我这边是安信贷客服，您在安信贷的借款逾期了。", 0.8),
                 ("customer", "我知道。", 0.8), ("agent", "好的，谢谢，再见。", 0.8))
    flags, _ = audit_utterances(turns, rules)
    assert "missing_greeting" in cats(flags)
    mumbled = [dict(turns[1], text="嗯那个呃")] + turns[2:]
    flags, _ = audit_utterances([turns[0], *mumbled], rules)
    assert "missing_greeting" not in cats(flags) and "steps.greeting" in notes(flags)


# ----------------------------------------------------------------------------- the opening


def test_opening_line_that_lost_its_words_leaves_verification_unclear(rules: RuleSet) -> None:
    # a 4-second opening line recognised as four characters: the question may be in what was lost
    lost = {"speaker": "agent", "start": 0.0, "end": 4.0, "text": "请您处理", "confidence": 0.55}
    rest = [dict(u, start=u["start"] + 5.0, end=u["end"] + 5.0) for u in call(
        ("agent", "这里是安信贷，我姓黄，工号七零五八，您在安信贷的借款还有六千元没还。", 0.7),
        ("customer", "最近太难了。", 0.6), ("agent", "好的，谢谢，再见。", 0.8))]
    flags, _ = audit_utterances([lost, *rest], rules)
    assert not cats(flags) & MAJOR_STEP
    assert {"steps.identity_verification", "steps.disclosure_before_verification"} <= notes(flags)
    heard = dict(lost, end=1.5)  # the same words, all of the line: the question is missing
    flags, _ = audit_utterances([heard, *rest], rules)
    assert MAJOR_STEP <= cats(flags)


def test_introduction_words_heard_without_their_frame(rec) -> None:
    assert garbled_introduction("就合戴戴后补，过后五五八九九", rec)  # 贷后 on sound
    assert garbled_introduction("那个，过后三二五一九，本次通话", rec)  # 工号's initials + digits
    assert not garbled_introduction("请问是周明先生吗？", rec)
    assert not garbled_introduction("过后再说吧", rec)  # no digit string after it


def test_garbled_introduction_is_not_judged_missing(rules: RuleSet) -> None:
    def opening(second: str) -> list[dict[str, Any]]:
        return call(("agent", "下午好，请问是周明先生吗？", 0.7), ("customer", "我就是。", 0.7),
                    ("agent", second, 0.6),
                    ("agent", "您在安信贷的借款逾期十七天了，您哪天可以还款？", 0.7),
                    ("customer", "下周五。", 0.8), ("agent", "好的，谢谢，再见。", 0.8))
    garbled, _ = audit_utterances(opening("安合戴戴后补，过后五五八九九，本次通话会录音。"), rules)
    absent, _ = audit_utterances(opening("本次通话会录音，请您注意。"), rules)
    assert "missing_self_identification" not in cats(garbled)
    assert "steps.self_identification" in notes(garbled)
    assert "missing_self_identification" in cats(absent)


# ----------------------------------------------------------------------------- the replies


def test_backchannel_and_question_back_with_no_question_heard(rules: RuleSet) -> None:
    turns = call(("agent", "您好，这里是乐享花，我姓徐，工号七四四零零。", 0.45),
                 ("customer", "嗯，有事吗？", 0.2),
                 ("agent", "您的乐享花账单逾期二十六天，待还三万九千元。", 0.7),
                 ("customer", "好的。", 0.8), ("agent", "好的，谢谢，再见。", 0.8))
    flags, _ = audit_utterances(turns, rules)
    assert MAJOR_STEP <= cats(flags)


def test_after_a_confirmation_only_a_strong_denial_counts(rules: RuleSet, rec) -> None:
    def later(reply: str) -> list[dict[str, Any]]:
        return call(("agent", "您好，请问是周明先生吗？"), ("customer", "是我。"),
                    ("agent", "我这边是安信贷客服，您在安信贷的借款逾期了。"),
                    ("agent", "周明先生，您看这周能还吗？"), ("customer", reply),
                    ("agent", "您的借款欠款一万二千元，请尽快处理。"),
                    ("agent", "好的，谢谢，再见。"))
    flags, _ = audit_utterances(later("不是，我是说下个月发了工资再说。"), rules)
    assert "third_party_disclosure" not in cats(flags)
    flags, _ = audit_utterances(later("打错了，我是他同事。"), rules)
    assert "third_party_disclosure" in cats(flags)
    assert strong_denial("你打错了", rec) and not strong_denial("不是，我是说", rec)


@pytest.mark.parametrize(("line", "disclosed"),
                         [("已经于7二十六天了。", True), ("已经一七十天了。", True),
                          ("您已于7月1日结清。", False), ("已经于七号处理好了。", False)])
def test_overdue_heard_with_the_seven_as_a_digit(rules: RuleSet, line: str,
                                                 disclosed: bool) -> None:
    # 逾期 heard as 于七 / 一七, the 七 often written 7; 已于7月 is a date, not a debt
    _, steps = audit_utterances(call(("agent", line, 0.8)), rules)
    assert steps["debt_disclosure"] is disclosed


def test_first_person_confirmation_given_to_the_agents_voice(rules: RuleSet, rec) -> None:
    # one channel, voices attributed, the question not recognised: the customer's 我就是 went to
    # the agent's voice; on two channels, an "agent" line is the agent's
    def mono(second: str, posterior: float | None = 0.9) -> list[dict[str, Any]]:
        return call(("agent", "您好，我想跟您核对一件事情。", 0.8, 0.95),
                    ("agent", second, 0.6, posterior),
                    ("agent", "我这边是安信贷客服，您在安信贷的借款逾期了。", 0.8, 0.95),
                    ("customer", "我最近手头比较紧。", 0.8, 0.05),
                    ("agent", "好的，谢谢，再见。", 0.8, 0.95))
    assert not cats(audit_utterances(mono("我就是周明。"), rules)[0]) & MAJOR_STEP
    assert MAJOR_STEP <= cats(audit_utterances(mono("请您尽快处理。"), rules)[0])
    assert not misattributed_confirmation({"text": "我就是周明。", "agent_posterior": None}, rec)
    assert not misattributed_confirmation(
        {"text": "我是安信贷的客服专员", "agent_posterior": 0.9}, rec)
    assert not misattributed_confirmation(
        {"text": "我就是想提醒您一下还款", "agent_posterior": 0.9}, rec)
