"""rules13's mechanisms and classes, on lines written for these tests (not dev or corpus lines):
a message passed on after a third party answered that names the money in plain words, the debtor
reported away in the third person as a third party's reply, a condition on the listener's
opinion that quotes only its own clause, the listener's stance mocked, a record looked up, the
listener's payday, and a court's own lawful power."""

from __future__ import annotations

import pytest

from auditor.compliance.matching import _opinion_condition
from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import classify_reply
from bench.eval_rules import line_categories
from tests.helpers import lexical_raised

TPD, FL, TH, IMP = "third_party_disclosure", "false_legal", "threat", "impatience"


def _after(reply: str, text: str) -> dict[str, object]:
    return {"speaker": "agent", "text": text, "context": [{"speaker": "customer", "text": reply}]}


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # the money named in any word in what is passed on ...
    ("我是他表姐", "你帮我跟他说，花呗那边的款子拖太久了。", True),
    ("我是她同屋的", "麻烦劝劝她，就两千块钱的账，别拖了。", True),
    ("我是他儿子", "让他赶紧把还款的事办了，别让我们再打过来。", True),
    # ... while a call-back request names none
    ("我是他表姐", "那麻烦您跟他说一声，有空给我们回个电话。", False),
    ("我是她同屋的", "好的，让她方便的时候回电就行，谢谢。", False),
])
def test_a_message_passed_on_names_the_money(rules: RuleSet, reply: str, text: str,
                                             raised: bool) -> None:
    assert (TPD in line_categories(_after(reply, text), rules)) is raised


@pytest.mark.parametrize(("reply", "verdict"), [
    ("他出差去了，要下礼拜才回来。", "deny"),  # the debtor reported away, in the third person
    ("她在开会，你晚点打。", "deny"),
    ("这是他家，他上班去了。", "deny"),
    ("我出差了，回来再说。", None),  # the debtor speaking of themselves denies nothing
])
def test_the_debtor_reported_away_is_a_third_partys_reply(rules: RuleSet, reply: str,
                                                          verdict: str | None) -> None:
    assert classify_reply(reply, rules) == verdict


@pytest.mark.parametrize(("text", "category", "raised"), [
    # a condition on the listener's opinion quotes only its own clause
    ("你要是觉得我们做得不对，你去投诉啊，随便投。", IMP, True),
    ("您觉得我们会上门吗？我们不会的。", TH, False),
    ("您要是觉得我说话不合适，可以换一位同事为您服务。", IMP, False),
    # the listener's stance mocked with 还/倒; praise is no mockery
    ("欠钱不还，你倒挺理直气壮的。", IMP, True),
    ("你还好意思问利息怎么这么高？", IMP, True),
    ("您说得很有道理，我帮您记下来。", IMP, False),
    # a record looked up is no tracing; tracing the person still is
    ("您稍等，我这边查到了您上个月的还款记录。", TH, False),
    ("我们已经查到你住哪了，你自己看着办。", TH, True),
    # the listener's payday is no telling of their workplace
    ("您单位几号发工资？我们把还款日放在那之后。", TPD, False),
    ("你们单位领导都知道你欠款的事了。", TPD, True),
    # a court's own lawful power is the law explained; a freeze announced is not
    ("只有法院有权依法冻结您的账户，我们没有这个权力。", FL, False),
    ("法院有权依法冻结您的账户。", FL, False),
    ("明天就冻结你的账户。", FL, True),
])
def test_rules13_classes(rules: RuleSet, text: str, category: str, raised: bool) -> None:
    assert (category in lexical_raised(rules, text)) is raised


def test_an_opinion_condition_is_told_from_a_quote() -> None:
    assert _opinion_condition("你要觉得我们不合规，", 2, "觉得我们")
    assert _opinion_condition("要是您觉得", 2, "您觉得")
    assert not _opinion_condition("您觉得我们会上门吗", 0, "您觉得")
