"""The order of verification and disclosure when the reply to the identity question was lost.

The recogniser's commonest loss is the one-syllable 是 / 对 that answers "请问是X先生吗？". When no
reply of the other party is heard between the question and the debt, and the person proves to be
the debtor only from the dialogue after it, whether the debt came before the answer is not
known: an ``info_step_unclear`` note, no major flag. A line heard in between that confirms
nothing, debt words before the question, or a clear yes heard only after the debt keep the
flag: that is positive evidence of the order.
"""

from __future__ import annotations

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet
from tests.helpers import categories as cats
from tests.helpers import turns_call as call

QUESTION = ("agent", "您好，请问是张伟先生吗？")
DEBT = ("agent", "我是瑞丰消费金融的贷后专员，工号幺零二四七。"
                 "您的贷款欠款一万二千元，已经逾期十八天了。")
# the agent addressing the person as the debtor: the confirmation is inferred from it
AS_DEBTOR = ("agent", "您的借款已经逾期一百天，您看什么时候能还？")
END = (("customer", "下周五吧。"), ("agent", "好的，感谢您的配合，再见。"))
EARLY = "disclosure_before_verification"


def _note_on(flags: list[dict], step: str) -> bool:
    return any(f["category"] == "info_step_unclear" and f["rule"] == f"steps.{step}"
               and f["uncertain"] for f in flags)


def test_lost_reply_then_inferred_confirmation_is_a_note(rules: RuleSet) -> None:
    flags, steps = audit_utterances(call(QUESTION, DEBT, ("customer", "好的。"), AS_DEBTOR, *END),
                                    rules)
    assert EARLY not in cats(flags)
    assert _note_on(flags, EARLY)
    assert steps["identity_verification"] is True


def test_reply_heard_before_the_debt_keeps_the_flag(rules: RuleSet) -> None:
    # the other party answered with a question back, not a yes, and then the debt was stated
    flags, _ = audit_utterances(
        call(QUESTION, ("customer", "什么事？"), DEBT, ("customer", "好的。"), AS_DEBTOR, *END),
        rules)
    assert EARLY in cats(flags)


def test_debt_before_the_question_in_one_line_keeps_the_flag(rules: RuleSet) -> None:
    opening = ("agent", "您好，您的贷款欠款一万二千元已经逾期了，请问是张伟先生吗？")
    flags, _ = audit_utterances(call(opening, ("customer", "好的。"), AS_DEBTOR, *END), rules)
    assert EARLY in cats(flags)


def test_clear_yes_heard_only_after_the_debt_keeps_the_flag(rules: RuleSet) -> None:
    flags, _ = audit_utterances(call(QUESTION, DEBT, ("customer", "对，是我。"), AS_DEBTOR, *END),
                                rules)
    assert EARLY in cats(flags)


def test_reaction_to_the_debt_heard_as_first_reply_is_a_note(rules: RuleSet) -> None:
    # the yes was lost; the first line heard is a sigh about the debt, which "confirms" only
    # through its interjection and its talk of money
    flags, _ = audit_utterances(
        call(QUESTION, DEBT, ("customer", "哎，最近太难了，工资都没发。"), AS_DEBTOR, *END), rules)
    assert EARLY not in cats(flags)
    assert _note_on(flags, EARLY)
