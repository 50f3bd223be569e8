"""A debtor putting the caller off (我不在家, 我现在不方便, 我不认识你) is no denial of being the
debtor: those replies hold the denial words 不在 / 不认识 / 不方便接, but about the speaker's own
state or about the caller. A third party's 他不在 / 不认识这个人 still denies."""

from __future__ import annotations

from auditor.compliance.audit import audit_utterances
from auditor.compliance.evidence import default_evidence
from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import _recognisers, classify_reply, strong_denial
from tests.helpers import categories as cats
from tests.helpers import turns_call as call

REC = _recognisers(default_evidence())


def test_own_state_is_no_denial(rules: RuleSet) -> None:
    for reply in ("我现在不在家，晚点再说。", "我不在家", "我现在不方便。", "我不认识你，你哪位？"):
        assert classify_reply(reply, rules, REC) != "deny", reply
        assert not strong_denial(reply, REC), reply


def test_a_third_party_still_denies(rules: RuleSet) -> None:
    for reply in ("他不在。", "不在，他出去了。", "我不认识这个人。", "他不在家，我是他妈妈。"):
        assert classify_reply(reply, rules, REC) == "deny", reply


def test_debtor_not_at_home_raises_no_third_party_disclosure(rules: RuleSet) -> None:
    def run(reply: str) -> set[str]:
        return cats(audit_utterances(call(
            ("agent", "您好，请问是周建国先生本人吗？"), ("customer", reply),
            ("agent", "我是恒通金融的贷后专员，工号五八三六一。您的借款逾期四十天了。"),
            ("customer", "我下周还。"), ("agent", "好的，感谢您的配合，再见。")), rules)[0])

    assert "third_party_disclosure" not in run("是我，我现在不在家。")
    assert "third_party_disclosure" in run("他不在家，我是他妈妈。")


def test_own_debt_talk_with_the_pay_verb_misheard_is_no_denial(rules: RuleSet) -> None:
    from auditor.compliance.steps import engages_with_debt, pay_verb_heard

    # 我不是不还 heard as 我不是部海, 还六千块 as 海六千块: the verb by its sound in its slot
    reply = {"text": "我不是部海,不过下个月时候能海六千块。", "confidence": 0.54}
    assert pay_verb_heard(reply["text"]) == "我不是不还,不过下个月时候能海六千块。"
    assert engages_with_debt(reply["text"], REC)
    assert classify_reply(reply, rules, REC) != "deny"
    assert pay_verb_heard("我真的不是故意不孩子") == "我真的不是故意不还子"
    # a 海 that ends a word, or one with no verb's slot, is left as heard
    for text in ("我在上海2号线", "我去海边", "我不是部长"):
        assert pay_verb_heard(text) == text
        assert not engages_with_debt(text, REC)
    # a third party still denies, whatever they say of the debtor's paying
    assert classify_reply("不是，我是他老婆，他下个月能海六千。", rules, REC) == "deny"
    assert classify_reply("我不是，你打错了。", rules, REC) == "deny"


def test_misheard_own_debt_talk_raises_no_third_party_disclosure(rules: RuleSet) -> None:
    # as heard: the question, the introduction and the debt run into one line, a weak 对, and
    # the debtor's 我不是不还 with its verb heard as 海
    turns = call(
        ("agent", "您好请问您是陈志强先生吗?我这边是金髓分期客服工号二二九七腰您在金髓分期的分期"
                  "上单签了14500元一七七十一天冷", 0.39), ("customer", "对", 0.16),
        ("customer", "家里出了数钱都花在医院冷", 0.38),
        ("agent", "比机会影响您的个人增进,今天能先海一部分吗?", 0.48),
        ("customer", "我不是部海,不过下个月时候能海六千块。", 0.54),
        ("agent", "明白,12月时候海六千块可以吗?", 0.57), ("customer", "没问题!", 0.69),
        ("agent", "感谢您的配合,再见!", 0.67))
    # the long first line is heard from 0.6 to 12.9 s, the 对 on the other channel at 3.6 s
    for u, (start, end) in zip(turns, ((0.6, 12.9), (3.6, 4.1), (13.4, 16.4)), strict=False):
        u["start"], u["end"] = start, end
    for u in turns[3:]:  # the rest after them, in order
        u["start"], u["end"] = u["start"] + 10.0, u["end"] + 10.0
    flags, steps = audit_utterances(turns, rules)
    assert not cats(flags) & {"third_party_disclosure", "missing_identity_verification",
                              "disclosure_before_verification"}
    assert steps["identity_verification"] is True  # the customer engages with the debt
