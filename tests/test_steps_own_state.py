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
