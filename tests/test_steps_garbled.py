"""Steps heard through the recogniser's usual damage: a question tag with a sound added, a
greeting run into the next clause, a garbled line before the agent's last intelligible turns."""

from __future__ import annotations

from auditor.compliance.audit import audit_utterances
from auditor.compliance.evidence import default_evidence
from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import _recognisers, greets, identity_question
from tests.helpers import categories as cats
from tests.helpers import turns_call as call

REC = _recognisers(default_evidence())


def test_question_tag_heard_with_a_nasal_closing_the_clause() -> None:
    # 吗 written as 蔓 (man): the last syllable of the clause after name + title
    assert identity_question("下午好,请问是杨天宇先生本人蔓。", REC)[0]
    assert identity_question("请问是杨天宇先生本人蔓", REC)[0]
    # an m-syllable that does not close the clause is no tag (慢慢说 goes on)
    assert not identity_question("杨先生，慢慢说", REC)[0]
    assert not identity_question("杨天宇先生慢慢说", REC)[0]


def test_greeting_run_into_the_first_clause() -> None:
    # 下午好 heard as 向5号 with no comma after it
    assert greets("向5号麻烦确认一下您是赵俊杰先生本人吧", REC)
    assert greets("剩五号", REC)
    # a head sounding nearly like a greeting but not ending on its last syllable is none
    assert not greets("上午还款了吗", REC)
    assert not greets("喂，胡丽华是吧", REC)


def _ending(*last: tuple) -> list[dict]:
    return call(
        ("agent", "您好，请问是张伟先生吗？"),
        ("customer", "对，是我。"),
        ("agent", "我是瑞丰消费金融的贷后专员，工号幺零二四七。"
                  "您的贷款欠款一万二千元，已经逾期了。"),
        ("customer", "我知道。"),
        *last,
    )


def test_close_judged_on_the_intelligible_turns_after_a_garbled_one(rules: RuleSet) -> None:
    middle = (("agent", "脱德月九对正器影响越大您哪天可以还款", 0.2),
              ("customer", "今天还两千。", 0.9),
              ("agent", "行，给您登记今天还款两千块，对吧？", 0.7), ("customer", "没问题。", 0.9))
    flags, _ = audit_utterances(_ending(*middle, ("agent", "记住了，别再拖了。", 0.6)), rules)
    assert "missing_closing" in cats(flags)
    # the same call closed politely at the end: no flag
    flags, _ = audit_utterances(_ending(*middle, ("agent", "好的，感谢您的配合，再见。", 0.6)),
                                rules)
    assert "missing_closing" not in cats(flags)


def test_garbled_last_turn_leaves_the_close_unclear(rules: RuleSet) -> None:
    turns = _ending(("agent", "行，给您登记今天还款两千块，对吧？", 0.7),
                    ("customer", "没问题。", 0.9), ("agent", "不打造女论在肩", 0.2))
    flags, _ = audit_utterances(turns, rules)
    assert "missing_closing" not in cats(flags)
    assert any(f["category"] == "info_step_unclear" and f["rule"] == "steps.closing"
               for f in flags)


# -------------------------------------------- a garbled line too short to hide the question

_NO_QUESTION = (
    ("agent", "您好，打扰了，我是恒通金融的贷后专员，工号五八三六一。", 0.6),
    ("agent", "等", 0.15),  # the other party's 嗯 given to the agent's voice
    ("customer", "小小", 0.05),  # the reply the recogniser did not catch
    ("agent", "您在恒通金融的借款欠款一万三千元，已经逾期四十天了。", 0.65),
    ("customer", "嗯，你说吧。", 0.6),
    ("agent", "您看什么时候能还？", 0.7),
    ("customer", "下周五还五千。", 0.7),
    ("agent", "好的，感谢您的配合，再见。", 0.75),
)


def _with_syllables(turns: list[dict], counts: dict[int, int]) -> list[dict]:
    return [{**u, "syllables_audio": counts[i]} if i in counts else u
            for i, u in enumerate(turns)]


def test_one_syllable_garbled_line_hides_no_identity_question(rules: RuleSet) -> None:
    turns = call(*_NO_QUESTION)
    # without a count of what was said, the garbled line may hold the question: unclear only
    flags, _ = audit_utterances(turns, rules)
    assert not cats(flags) & {"missing_identity_verification", "disclosure_before_verification"}
    assert "info_step_unclear" in cats(flags)
    # one syllable counted in its signal: no question fits in it, the opening is judged
    flags, steps = audit_utterances(_with_syllables(turns, {1: 1}), rules)
    assert steps["identity_verification"] is False
    assert {"missing_identity_verification", "disclosure_before_verification"} <= cats(flags)
    # five syllables said in it: the question may be there, unclear again
    flags, _ = audit_utterances(_with_syllables(turns, {1: 5}), rules)
    assert not cats(flags) & {"missing_identity_verification", "disclosure_before_verification"}


def test_unclear_reply_after_a_judgeable_line_is_no_sign_of_a_question(rules: RuleSet) -> None:
    # the agent's line is heard (confidence above judge_confidence_percent, full length), only
    # the reply is garbled: nothing shows a question was asked, the opening is judged
    flags, _ = audit_utterances(call(
        ("agent", "您好，我是恒通金融委托的贷后专员，工号五八三六一，有重要的事情需要和您沟通。",
         0.4),
        ("customer", "继续按钮继续按钮", 0.1)), rules)
    assert "missing_identity_verification" in cats(flags)
    # a confirmation after the same low-confidence line shows something was asked: unclear
    flags, _ = audit_utterances(call(
        ("agent", "您好，我是恒通金融委托的贷后专员，工号五八三六一，有重要的事情需要和您沟通。",
         0.4),
        ("customer", "是的。", 0.9)), rules)
    assert "missing_identity_verification" not in cats(flags)


def test_measures_are_read_beside_the_text_on_copies(rules: RuleSet) -> None:
    from auditor.core.scorecard import Measures

    turns = call(*_NO_QUESTION)
    measures = [None] * len(turns)
    measures[1] = Measures(0.3, None, -27.0, 230.0, 1, 1, "text")
    flags, _ = audit_utterances(turns, rules, measures=measures)
    assert "missing_identity_verification" in cats(flags)
    assert "syllables_audio" not in turns[1]  # the caller's utterances are left as they were


def test_flags_resting_on_a_doubted_denial_are_uncertain(rules: RuleSet) -> None:
    def run(conf: float) -> list[dict]:
        return audit_utterances(call(
            ("agent", "您好，请问是刘洋先生吗？", 0.9), ("customer", "不是，我是他老婆。", conf),
            ("agent", "我是恒通金融的贷后专员，工号五八三六一。他的借款逾期四十天了。", 0.9),
            ("customer", "哦。", 0.9), ("agent", "好的，感谢您的配合，再见。", 0.9)), rules)[0]

    heard = {f["category"]: f for f in run(0.9) if f["rule"].startswith("steps.")}
    doubted = {f["category"]: f for f in run(0.3) if f["rule"].startswith("steps.")}
    for cat in ("third_party_disclosure", "missing_identity_verification"):
        assert heard[cat]["uncertain"] is False
        assert doubted[cat]["uncertain"] is True
        assert "low_confidence_text" in doubted[cat]["uncertain_reasons"]


def test_question_opener_makes_the_question_when_its_tag_was_cut() -> None:
    # the recogniser ends a line on a pause: the closing 吗 lands in the next line or is lost
    assert identity_question("请问这是孙丽娜女士的电话", REC)[0]
    assert identity_question("下午好请问是周建国先生本", REC)[0]
    # an opener without a name or title asks something else; a name far after it is an address
    assert not identity_question("请问您什么时候能还", REC)[0]
    assert not identity_question("好的周先生，请问您什么时候能还款", REC)[0]


def test_greeting_heard_with_one_syllable_more() -> None:
    # 上午好 heard with a syllable doubled and written as a digit
    assert greets("上午5号，请问这是周建国先生的电话吗？", REC)
    assert greets("晚上好好", REC)
    # a time word and a date are no greeting
    assert not greets("下午三点前还", REC)
    assert not greets("晚上5号还", REC)


def test_after_a_strong_denial_a_yes_about_the_debtor_does_not_confirm(rules: RuleSet) -> None:
    def run(reply: str) -> dict:
        return audit_utterances(call(
            ("agent", "您好，我是恒通金融的客服，工号五八三六一。请问您是周建国先生本人吗？"),
            ("customer", "我不是，他是我弟弟，他不在。"),
            ("agent", "那请问您认识周建国吗？"), ("customer", reply),
            ("agent", "这个需要和本人沟通，麻烦让他回个电话，谢谢，再见。")), rules)[1]

    assert run("是认识，什么事啊？")["identity_verification"] is False
    # a first-person confirmation after the denial does settle it
    assert run("哦，是我，我就是周建国。")["identity_verification"] is True


def test_debt_stated_as_product_verb_and_sum_is_a_disclosure(rules: RuleSet) -> None:
    from auditor.compliance.matching import analyse, match_rule

    def disclosed(text: str) -> bool:
        return bool(match_rule(rules.steps["debt_disclosure"].matcher, analyse(text, rules), rules))

    # the possessive and the unit lost, the product, the verb and the sum heard
    assert disclosed("在恒通金融的消费贷款借了三万二千一百五十")
    assert disclosed("尾号6120的信用卡还有5230")
    # the lender's department and a staff number are no debt
    assert not disclosed("这里是恒通银行信用卡中心，工号58361")


def test_weak_reply_asking_back_with_more_in_it_is_unclear(rules: RuleSet) -> None:
    from auditor.compliance.steps import classify_reply

    # 是我 misheard beside the question back: the rest may be the answer
    assert classify_reply({"text": "轮起我，什么事", "confidence": 0.2}, rules) == "unclear"
    # heard well, or nothing but the question back: a question back
    assert classify_reply({"text": "轮起我，什么事", "confidence": 0.9}, rules) == "question"
    assert classify_reply({"text": "嗯，哪位？", "confidence": 0.2}, rules) == "question"


def test_no_reply_heard_is_taken_after_the_question_in_its_own_line(rules: RuleSet) -> None:
    # one agent line runs question, introduction and debt together; the other side not heard
    flags, _ = audit_utterances([{
        "speaker": "agent", "start": 0.0, "end": 20.0, "confidence": 0.8,
        "text": "您好，麻烦确认一下，您是周建国先生本人吧。我是恒通金融的客服，工号五八三六一，"
                "您在恒通金融的借款还有一万没还，逾期七十二天。好的，再见。"}], rules)
    assert "disclosure_before_verification" not in cats(flags)
    # the debt said before the question in the same line is early
    flags, _ = audit_utterances([{
        "speaker": "agent", "start": 0.0, "end": 20.0, "confidence": 0.8,
        "text": "您好，我是恒通金融的客服，工号五八三六一，您在恒通金融的借款还有一万没还，"
                "逾期七十二天。麻烦确认一下，您是周建国先生本人吧。好的，再见。"}], rules)
    assert "disclosure_before_verification" in cats(flags)


# ------------------------------- a garbled opening that holds every syllable it was said in

# A greeting, an introduction and a staff number misheard (打扰了 -> 大要冷, 贷后 -> 戴后,
# 工号 -> 公后), then the debt: the agent never asked who was on the line.
_MISHEARD_OPENING = (
    ("agent", "您好,大要冷,我是一达分析委托的戴后专员,公后92708。", 0.29),
    ("customer", "嗯，什么事？", 0.6),
    ("agent", "您在一达分期的分期账单欠款两万二千元，已经逾期七十一天了。", 0.65),
    ("customer", "嗯，你说吧。", 0.6),
    ("agent", "您看什么时候能还？", 0.7),
    ("customer", "月底之前还八千。", 0.7),
    ("agent", "好的，感谢您的配合，再见。", 0.75),
)


def _opening_said_in(syllables: int | None, first: str | None = None) -> list[dict]:
    turns = call(*_MISHEARD_OPENING)
    if first is not None:
        turns[0] = {**turns[0], "text": first}
    if syllables is not None:
        turns[0] = {**turns[0], "syllables_audio": syllables}
    return turns


def test_garbled_opening_holding_all_its_syllables_hides_no_question(rules: RuleSet) -> None:
    # the signal counts as many syllables as the text holds: nothing was lost, and nothing of it
    # sounds like a question to the person on the line, so the question was not asked
    flags, steps = audit_utterances(_opening_said_in(24), rules)
    assert steps["identity_verification"] is False
    got = {f["category"]: f for f in flags}
    assert {"missing_identity_verification", "disclosure_before_verification"} <= set(got)
    # the flag rests on the doubted opening: raised, but for QA to listen to
    assert got["missing_identity_verification"]["uncertain"] is True


def test_garbled_opening_that_lost_syllables_may_hide_the_question(rules: RuleSet) -> None:
    # no count of what was said, or the signal holds far more than the text: unclear only
    for syllables in (None, 36):
        flags, _ = audit_utterances(_opening_said_in(syllables), rules)
        assert not cats(flags) & {"missing_identity_verification",
                                  "disclosure_before_verification"}
        assert "info_step_unclear" in cats(flags)


def test_an_unmarked_number_counts_its_shorter_reading_against_the_signal(rules: RuleSet) -> None:
    # the text takes 25 syllables with the staff number read out digit by digit (as it was said,
    # after a misheard 工号) and 28 with it read as a quantity (九万二千七百零八); a signal of 28
    # syllables is 3 more than the text needs: speech it does not hold, so the question may hide
    flags, _ = audit_utterances(_opening_said_in(28), rules)
    assert not cats(flags) & {"missing_identity_verification", "disclosure_before_verification"}
    assert "info_step_unclear" in cats(flags)


def test_garbled_opening_shaped_as_a_question_may_hide_it(rules: RuleSet) -> None:
    from auditor.compliance.steps import _question_shaped

    # every syllable written, but a clause closes on a question tag or holds a title on sound
    for first in ("您好,大要冷,我是一达分析委托的戴后专员,无令华硕吧。",
                  "您好,大要冷,我是一达分析委托的戴后专员,吴令华鲜生。"):
        assert _question_shaped(first, REC)
        flags, _ = audit_utterances(_opening_said_in(24, first), rules)
        assert "missing_identity_verification" not in cats(flags)
    assert not _question_shaped("您好,大要冷,我是一达分析委托的戴后专员,公后92708。", REC)


# a debt stated with every syllable heard (its signal counts no more than its text), then a 嗯
# of assent: no identity question was asked anywhere in this opening
_ASSENT_AFTER_DEBT = (
    ("agent", "下午好,我这边是会鸣花客服,工号六零九九四。", 0.38),
    ("customer", "我,你说。", 0.40),
    ("agent", "你的会鸣花账单还有一万五千五百没还,逾期一百一十二天。", 0.46),
    ("customer", "嗯,我知道。", 0.48),
    ("agent", "您打算什么时候处理?", 0.57),
    ("customer", "我过两天能还一千五百。", 0.59),
    ("agent", "不打扰您了,再见。", 0.56),
)


def test_assent_after_a_debt_heard_whole_is_no_answer_to_a_hidden_question(
        rules: RuleSet) -> None:
    turns = call(*_ASSENT_AFTER_DEBT)
    # the debt line's signal holds no more syllables than its text: no question fits in it
    turns[2] = {**turns[2], "syllables_audio": 26}
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] is False
    got = {f["category"]: f for f in flags}
    assert {"missing_identity_verification", "disclosure_before_verification"} <= set(got)
    assert got["missing_identity_verification"]["uncertain"] is True  # low-confidence opening
    # the same line with syllables lost (or no count of them): a question may hide in it, and
    # the 嗯 may answer it -- unclear only
    for syllables in (None, 34):
        t = [dict(u) for u in turns]
        t[2] = {k: v for k, v in t[2].items() if k != "syllables_audio"}
        if syllables is not None:
            t[2]["syllables_audio"] = syllables
        flags, _ = audit_utterances(t, rules)
        assert not cats(flags) & {"missing_identity_verification",
                                  "disclosure_before_verification"}
        assert "info_step_unclear" in cats(flags)


def test_question_frame_with_its_name_misheard() -> None:
    from auditor.compliance.steps import question_framed

    for text in ("晚上好请问是尊隐是吗?", "您好请问市民是吗?",
                 "您好,麻烦确认一下您是全职强先生被人罢"):
        assert question_framed(text, REC), text
        assert not identity_question(text, REC)[0]  # not the question itself
    # questions of another kind, a 是否, a clause that does not close as a question
    for text in ("请问您能联系上他吗？", "那请问您认识王芳吗？", "请问您是否方便接听吗?",
                 "您好请问市民是", "我是瑞丰消费金融的贷后专员。"):
        assert not question_framed(text, REC), text


def _framed_opening(first: tuple, *more: tuple, reply: tuple = ("customer", "是等你说", 0.2)
                    ) -> list[dict]:
    return call(first, *more, reply,
                ("agent", "我是金岁消费金融委托的贷后专员,工号四六五七九,您在金岁消费金融的"
                          "消费贷款还有一万七千五百元没还,逾期九十六天。", 0.71),
                ("customer", "最近手头紧。", 0.55),
                ("agent", "您打算什么时候处理?", 0.6), ("customer", "下周五之前我还八百块。", 0.6),
                ("agent", "好的,谢谢您,再见。", 0.69))


def test_low_confidence_question_frame_leaves_the_verification_unclear(rules: RuleSet) -> None:
    # 请问您是李女士吗 heard as 请问市民是, its 吗？ cut into a line of its own
    turns = _framed_opening(("agent", "您好请问市民是", 0.22), ("agent", "吗?", 0.0))
    turns[0]["syllables_audio"], turns[1]["syllables_audio"] = 9, 1
    flags, steps = audit_utterances(turns, rules)
    assert steps["identity_verification"] is False
    assert not cats(flags) & {"missing_identity_verification", "disclosure_before_verification"}
    notes = [f for f in flags if f["category"] == "info_step_unclear"]
    assert {f["rule"] for f in notes} >= {"steps.identity_verification",
                                          "steps.disclosure_before_verification"}
    # the same frame in one line, name misheard
    turns = _framed_opening(("agent", "晚上好请问是尊隐是吗?", 0.38))
    turns[0]["syllables_audio"] = 11
    flags, _ = audit_utterances(turns, rules)
    assert "missing_identity_verification" not in cats(flags)
    # heard with confidence, the frame is no doubt: what was heard is the question's absence
    turns = _framed_opening(("agent", "晚上好请问是尊隐是吗?", 0.8))
    turns[0]["syllables_audio"] = 11
    flags, _ = audit_utterances(turns, rules)
    assert "missing_identity_verification" in cats(flags)
    # a cut line that is more than a tag is no part of the question
    turns = _framed_opening(("agent", "您好请问市民是", 0.22), ("agent", "好的", 0.3))
    turns[0]["syllables_audio"], turns[1]["syllables_audio"] = 9, 2
    flags, _ = audit_utterances(turns, rules)
    assert "missing_identity_verification" in cats(flags)


def test_question_frame_answered_by_a_denial_is_judged(rules: RuleSet) -> None:
    # a misheard frame, then the other party says who they are: the denial is the evidence
    turns = _framed_opening(("agent", "晚上好请问是尊隐是吗?", 0.38),
                            reply=("customer", "不是,我是她同事。", 0.8))
    turns[0]["syllables_audio"] = 11
    flags, _ = audit_utterances(turns, rules)
    assert "missing_identity_verification" in cats(flags)
