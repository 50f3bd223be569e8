"""The outcome as the recogniser hears it: homophones of the cue words, garbled numerals and
units, unknown speakers, lost replies -- and the promise saying how far it can be trusted."""

from datetime import date

import pytest

from auditor.outcome import extract_outcome, find_amounts, find_dates, parse_number
from auditor.outcome.config import load_config
from auditor.outcome.sounds import heard_as, sounds_like
from auditor.outcome.terms import parse_terms
from tests.outcome_cases import OPENING, START, call

TODAY = START.date()


def out(*lines, start=START):
    return extract_outcome(call(*OPENING, *lines), start)


def test_cue_words_are_read_by_sound():
    # 签款 sounds like 欠款 (a compliance domain word), 带还 like 待还 (an outcome cue word)
    assert heard_as("您的签款四千元", []) == "您的欠款四千元"
    assert heard_as("带还六千块", ["待还"]) == "待还六千块"
    assert heard_as("今天天气不错", ["待还"]) == "今天天气不错"


def test_one_syllable_sound_only_for_one_character_words():
    assert sounds_like("海", "还") and sounds_like("环", "还")
    assert not sounds_like("好", "还")
    assert not sounds_like("海", "还款")


@pytest.mark.parametrize("line", ["明天海四千", "下周三之前孩四千元", "后天环四千块"])
def test_pay_verb_by_sound_in_its_slot(line):
    t = parse_terms(line, TODAY, load_config())
    assert t.pays and t.heard


@pytest.mark.parametrize("line", ["我在上海四千米的地方", "海边很冷"])
def test_sound_alone_outside_the_slot_is_no_pay_verb(line):
    assert not parse_terms(line, TODAY, load_config()).pays


def test_garbled_numeral_is_no_number():
    assert parse_number("六六三百") is None
    assert parse_number("三千五") == 3500
    assert parse_number("二零二七") == 2027


def test_sum_after_a_debt_word_whatever_its_unit():
    # the recogniser wrote 人 for 元: a debt word before the digits says it is money
    assert [a.value for a in find_amounts("欠款4300人", ["欠款"])] == [4300]
    assert find_amounts("欠款4300人") == []


def test_unit_that_sounds_like_yuan():
    assert [a.value for a in find_amounts("先给2600园吧")] == [2600]
    assert find_amounts("三十园") == []  # a small number: no sound unit


def test_dates_by_structure_with_a_garbled_syllable():
    # 日 heard as 一 after the day; a garbled syllable glued before the month
    [d] = find_dates("十二月十七一之前", date(2026, 11, 20))
    assert d.due == date(2026, 12, 17)
    [d] = find_dates("第一七十二月八日前", date(2026, 11, 20))
    assert d.due == date(2026, 12, 8)


def test_heard_promise_is_marked_uncertain():
    o = out(("customer", "那我后天海三千五。"), ("agent", "好的，感谢您的配合，再见。"))
    p = o["promise"]
    assert (o["result"], p["amount"], p["due"]) == ("promise_to_pay", 3500.0, "2026-11-22")
    assert p["uncertain"] and "pay_verb_by_sound" in p["uncertain_reasons"]
    assert o["uncertain"]


def test_plain_promise_is_certain():
    o = out(("customer", "后天还三千五。"), ("agent", "好的，再见。"))
    assert o["promise"]["uncertain"] is False and o["promise"]["confidence"] == 1.0
    assert o["uncertain"] is False


def test_low_confidence_text_says_so():
    o = out(("customer", "后天还三千五。", {"confidence": 0.3}), ("agent", "好的，再见。"))
    assert o["promise"]["confidence"] == 0.3
    assert "low_confidence_text" in o["promise"]["uncertain_reasons"]


def test_unknown_speakers_read_back_and_yes():
    o = out(("unknown", "那就约定下周二还两千元，可以吗？"), ("unknown", "可以"),
            ("unknown", "好的，谢谢您，再见。"))
    p = o["promise"]
    assert (o["result"], p["amount"], p["due"]) == ("promise_to_pay", 2000.0, "2026-11-24")
    assert "speaker_unknown" in p["uncertain_reasons"]


def test_unknown_speaker_demand_is_no_commitment():
    o = out(("unknown", "你必须明天把八千八全部还上。"), ("customer", "我做不到。"),
            ("agent", "那先这样，再见。"))
    assert o["result"] != "promise_to_pay"


def test_garbled_reply_then_polite_close_is_an_inferred_acceptance():
    o = out(("customer", "我手头紧。"), ("agent", "那下周二前还两千元可以吗？"),
            ("customer", "刚进", {"confidence": 0.2}), ("agent", "好的，谢谢您，再见。"))
    p = o["promise"]
    assert (o["result"], p["amount"]) == ("promise_to_pay", 2000.0)
    assert "acceptance_inferred_from_close" in p["uncertain_reasons"]


def test_garbled_reply_to_a_demand_is_no_promise():
    o = out(("agent", "您必须下周二前还两千元，可以吗？"),
            ("customer", "刚进", {"confidence": 0.2}), ("agent", "好的，谢谢您，再见。"))
    assert o["result"] != "promise_to_pay"


def test_refused_proposal_then_close_is_no_promise():
    o = out(("agent", "那下周二前还两千元可以吗？"), ("customer", "不行，我没钱。"),
            ("agent", "好的，谢谢您，再见。"))
    assert o["result"] != "promise_to_pay"


def test_sum_far_above_the_debt_is_misheard():
    # an instalment read back with digits glued on: the first of equal instalments instead
    o = out(("customer", "那分四期吧。"),
            ("agent", "好的，每期122000元，下周二前还，对吗？"), ("customer", "对。"))
    p = o["promise"]
    assert (p["amount"], p["installments"], p["due"]) == (2200.0, 4, "2026-11-24")
    assert "amount_derived" in p["uncertain_reasons"]


def test_plan_read_back_over_two_lines_first_part_is_the_first_instalment():
    o = out(("customer", "我分两次还行吗？"), ("agent", "可以。"),
            ("agent", "十一月二十五日之前先还四千元，"),
            ("agent", "十二月二十五日之前再还四千八百元，对吗？"), ("customer", "对。"))
    p = o["promise"]
    assert (p["amount"], p["due"], p["installments"]) == (4000.0, "2026-11-25", 2)


@pytest.mark.parametrize("line", ["这笔钱我不准备还了。", "我不想再还了。", "我不打算孩了。"])
def test_refusal_by_structure(line):
    o = out(("customer", line), ("agent", "好的，再见。"))
    assert o["result"] == "refusal" and o["customer"]["refusal"]


def test_double_negation_is_no_refusal():
    o = out(("customer", "我不是不还，是真的周转不开。"), ("agent", "好的，再见。"))
    assert o["customer"]["refusal"] is False


@pytest.mark.parametrize("line", ["我从来没在你们平台借过钱。", "我根本没跟那家借国钱。"])
def test_dispute_by_structure(line):
    assert out(("customer", line), ("agent", "好的，我帮您核实。"))["result"] == "dispute"


def test_no_denial_no_dispute():
    o = out(("customer", "我借的钱我会还，就是没那么快。"), ("agent", "好的，再见。"))
    assert o["result"] != "dispute"
