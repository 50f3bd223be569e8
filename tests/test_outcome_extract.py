"""extract_outcome: each result, promises (accepted, committed, all, instalments), demands."""

from auditor.outcome import extract_outcome
from tests.outcome_cases import OPENING, START, call


def out(*lines, start=START, **kw):
    return extract_outcome(call(*OPENING, *lines), start, **kw)


def test_readback_confirmed_is_a_promise():
    o = out(("customer", "月底前我先还两千。"),
            ("agent", "好的，那我们约定本月三十号前先还两千元，对吗？"),
            ("customer", "对。"))
    assert o["result"] == "promise_to_pay"
    p = o["promise"]
    assert (p["amount"], p["due"], p["due_text"], p["installments"]) == \
        (2000.0, "2026-11-30", "本月三十号", None)
    assert p["evidence"] == "好的，那我们约定本月三十号前先还两千元，对吗？"
    assert p["start"] < p["end"]


def test_agent_proposal_accepted():
    o = out(("customer", "我手头有点紧。"),
            ("agent", "那下周五之前先还三千五百元可以吗？"),
            ("customer", "可以。"))
    assert o["result"] == "promise_to_pay"
    assert (o["promise"]["amount"], o["promise"]["due"]) == (3500.0, "2026-11-27")


def test_commitment_without_readback():
    o = out(("customer", "过两天我还三千五。"), ("agent", "好的，感谢您的配合，再见。"))
    assert o["result"] == "promise_to_pay"
    assert (o["promise"]["amount"], o["promise"]["due"]) == (3500.0, "2026-11-22")


def test_all_of_it_is_the_outstanding_amount():
    o = out(("customer", "下个月十号全部还上。"), ("agent", "好的，感谢配合，再见。"))
    assert (o["promise"]["amount"], o["promise"]["due"]) == (8800.0, "2026-12-10")


def test_it_without_a_sum_is_the_outstanding_amount():
    o = out(("customer", "那我明天还吧。"), ("agent", "好的，再见。"))
    assert (o["promise"]["amount"], o["promise"]["due"]) == (8800.0, "2026-11-21")


def test_partial_without_a_sum_has_no_amount():
    o = out(("customer", "我十五号先还一部分。"), ("agent", "好的，再见。"))
    assert o["result"] == "promise_to_pay"
    assert (o["promise"]["amount"], o["promise"]["due"]) == (None, "2026-12-15")


def test_instalment_plan_first_instalment_and_count():
    o = out(("customer", "能不能分六期还？"),
            ("agent", "可以，第一期下周五前还一千五百元，可以吗？"),
            ("customer", "行。"))
    p = o["promise"]
    assert (p["amount"], p["due"], p["installments"]) == (1500.0, "2026-11-27", 6)


def test_two_part_readback_is_two_instalments():
    o = out(("customer", "我分两次还行吗？"),
            ("agent", "可以，月底前先还四千元，剩下的下个月底前还清，对吗？"),
            ("customer", "对，就这样。"))
    p = o["promise"]
    assert (p["amount"], p["due"], p["installments"]) == (4000.0, "2026-11-30", 2)


def test_amount_notations_in_promises():
    for said, value in [("3,500元", 3500.0), ("2千", 2000.0), ("一万二", 12000.0),
                        ("五百块", 500.0), ("三千五", 3500.0)]:
        o = out(("customer", f"我后天还{said}。"), ("agent", "好的，再见。"))
        assert o["promise"]["amount"] == value, said


def test_demanded_date_not_accepted_is_no_promise():
    o = out(("agent", "你明天之前必须还清八千八百元！"),
            ("customer", "我再想想吧。"),
            ("agent", "那您尽快处理，再见。"))
    assert o["result"] == "no_promise"
    assert o["promise"] is None


def test_demanded_then_refused_is_refusal():
    o = out(("agent", "今天必须把八千八百元还上！"),
            ("customer", "没钱，爱咋咋地。"))
    assert o["result"] == "refusal"
    assert o["promise"] is None
    assert o["customer"]["refusal"] is True


def test_demand_acknowledged_only_is_no_promise():
    o = out(("agent", "月底之前一定要还上！"), ("customer", "知道了。"), ("agent", "再见。"))
    assert o["result"] == "no_promise"


def test_plain_refusal():
    o = out(("customer", "我就是不还，你们随便。"))
    assert o["result"] == "refusal"


def test_not_deliberate_is_not_a_refusal():
    o = out(("customer", "我不是故意不还的，最近生意不好。"), ("agent", "理解，再见。"))
    assert o["result"] == "no_promise"
    assert o["customer"]["refusal"] is False


def test_dispute():
    o = out(("customer", "这笔钱不是我借的，我没借过。"))
    assert o["result"] == "dispute"
    assert o["promise"] is None


def test_wrong_amount_dispute():
    o = out(("customer", "金额不对吧，我只借了五千。"))
    assert o["result"] == "dispute"


def test_wrong_party_denial():
    utts = call(("agent", "您好，请问是赵磊先生本人吗？"),
                ("customer", "不是，我是他同事。"),
                ("agent", "麻烦您转告他尽快回电，谢谢。"),
                ("customer", "好的。"))
    o = extract_outcome(utts, START)
    assert o["result"] == "wrong_party"
    assert o["promise"] is None


def test_wrong_party_names_someone_else():
    utts = call(("agent", "您好，请问是李娜女士吗？"), ("customer", "我是王芳。"),
                ("agent", "不好意思，打扰了。"))
    assert extract_outcome(utts, START)["result"] == "wrong_party"


def test_wrong_number():
    utts = call(("agent", "您好，请问是李娜女士吗？"), ("customer", "你打错了，没这个人。"))
    assert extract_outcome(utts, START)["result"] == "wrong_party"


def test_right_party_naming_themselves():
    utts = call(("agent", "您好，请问是刘洋先生本人吗？"), ("customer", "对，我是刘洋。"),
                ("agent", "您的借款欠款七千二百元。"), ("customer", "我是真没钱。"))
    assert extract_outcome(utts, START)["result"] == "refusal"


def test_no_contact_agent_only():
    utts = call(("agent", "您好，这是给杨帆先生的留言，请您回电。"), ("agent", "感谢配合，再见。"))
    o = extract_outcome(utts, START)
    assert o["result"] == "no_contact" and o["promise"] is None
    assert o["customer"]["emotion"] == "calm"


def test_no_contact_single_voice():
    utts = call(("agent", "您好，请问是李娜女士吗？"), ("customer", "您好，请问您找谁？"))
    assert extract_outcome(utts, START, voice={"voices": 1})["result"] == "no_contact"


def test_no_contact_carrier_message():
    utts = call(("unknown", "您拨打的电话暂时无法接通，请稍后再拨。"))
    assert extract_outcome(utts, START)["result"] == "no_contact"


def test_hello_only_is_no_contact():
    utts = call(("customer", "喂？喂？"), ("agent", "您好，请问是李娜女士吗？"))
    assert extract_outcome(utts, START)["result"] == "no_contact"


def test_no_promise():
    o = out(("customer", "我知道了，回头再说。"), ("agent", "好的，再见。"))
    assert o["result"] == "no_promise" and o["promise"] is None


def test_without_call_start_due_is_null_and_words_kept():
    o = extract_outcome(call(*OPENING, ("customer", "下周五前还两千。"), ("agent", "好，再见。")))
    p = o["promise"]
    assert (p["amount"], p["due"], p["due_text"]) == (2000.0, None, "下周五")


def test_call_start_as_iso_string():
    o = extract_outcome(call(*OPENING, ("customer", "明天还两千。")), "2026-11-20T10:15:00+08:00")
    assert o["promise"]["due"] == "2026-11-21"


def test_shape_matches_spec():
    o = out(("customer", "明天还两千。"))
    assert set(o) == {"result", "promise", "customer", "evidence", "uncertain"}
    assert set(o["promise"]) == {"amount", "due", "due_text", "installments", "start", "end",
                                 "evidence", "confidence", "uncertain", "uncertain_reasons"}
    assert set(o["customer"]) == {"emotion", "complaint_threat", "refusal"}


def test_third_party_pass_on_is_not_a_promise():
    utts = call(("agent", "您好，请问是赵磊先生本人吗？"),
                ("customer", "他不在家，我是他爱人。"),
                ("agent", "麻烦您告诉他，尽快把一万五千元还上。"),
                ("customer", "好，我跟他说。"))
    o = extract_outcome(utts, START)
    assert o["result"] == "wrong_party" and o["promise"] is None


def test_plan_named_without_a_verb():
    o = out(("agent", "可以为您申请分期。"), ("customer", "那分十期吧。"),
            ("agent", "好的，第一期八百八十元，下个月五号之前还，对吗？"), ("customer", "对。"))
    p = o["promise"]
    assert (p["amount"], p["due"], p["installments"]) == (880.0, "2026-12-05", 10)


def test_evidence_names_the_deciding_lines_with_times():
    utts = call(("agent", "您好，请问是赵磊先生本人吗？"), ("customer", "不是，我是他同事。"))
    ev = extract_outcome(utts, START)["evidence"]
    assert ev[0]["kind"] == "wrong_party" and ev[0]["speaker"] == "customer"
    assert (ev[0]["start"], ev[0]["end"]) == (utts[1]["start"], utts[1]["end"])
    hostile = out(("customer", "骗子！我要投诉你们！"))["evidence"]
    assert {e["kind"] for e in hostile} == {"insult", "complaint_threat"}


def test_arabic_digits_after_the_verb():
    o = out(("customer", "12月5号先还6000。"), ("agent", "好的，再见。"))
    assert (o["promise"]["amount"], o["promise"]["due"]) == (6000.0, "2026-12-05")


def test_pay_clause_date_wins_over_payday():
    o = out(("customer", "我二十八号发工资，三十号还一万五。"), ("agent", "好的，再见。"))
    assert (o["promise"]["amount"], o["promise"]["due"], o["promise"]["due_text"]) == \
        (15000.0, "2026-11-30", "三十号")


def test_payday_alone_is_the_date():
    o = out(("customer", "我二十八号发工资，先还一万五。"), ("agent", "好的，再见。"))
    assert (o["promise"]["amount"], o["promise"]["due"]) == (15000.0, "2026-11-28")


def test_uncertain_is_not_a_commitment():
    o = out(("customer", "月底不一定能还上。"), ("agent", "好的，再见。"))
    assert o["result"] == "no_promise"


def test_demand_acknowledged_with_hmm_is_not_accepted():
    o = out(("agent", "你今天必须还清八千八百元！"), ("customer", "嗯。"), ("agent", "再见。"))
    assert o["result"] == "no_promise"


def test_proposal_with_hmm_is_accepted():
    o = out(("agent", "那您下周五前还八千八百元，可以吗？"), ("customer", "嗯，可以。"))
    assert o["result"] == "promise_to_pay"


def test_customer_proposal_declined_then_agent_demand_not_accepted():
    o = out(("customer", "月底还行吗？"),
            ("agent", "不行，明天必须还清八千八百元。"),
            ("customer", "那我做不到。"))
    assert o["result"] == "no_promise"  # turning down the agent's terms is not refusing to pay
    assert o["promise"] is None


def test_customer_proposal_declined_then_new_agreement():
    o = out(("customer", "下个月底还行吗？"),
            ("agent", "不行，最晚这周日前还八千八百元，可以吗？"),
            ("customer", "行吧。"))
    assert (o["promise"]["amount"], o["promise"]["due"]) == (8800.0, "2026-11-22")


def test_i_am_him_myself_is_right_party():
    utts = call(("agent", "您好，请问是赵磊先生吗？"), ("customer", "对，我是他本人。"),
                ("customer", "明天还两千。"))
    assert extract_outcome(utts, START)["result"] == "promise_to_pay"


def test_homophone_of_debt_word():
    o = out(("agent", "您的千款还有五千元没还。"), ("customer", "明天全部还清。"))
    assert o["promise"]["amount"] == 5000.0


def test_unpunctuated_recogniser_text():
    o = out(("customer", "我二十八号发工资 三十号还15000"), ("agent", "好的 再见"))
    assert (o["promise"]["amount"], o["promise"]["due"]) == (15000.0, "2026-11-30")
