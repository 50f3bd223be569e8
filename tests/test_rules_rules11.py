"""rules11's mechanisms and classes, on lines written for these tests (not dev or corpus lines):
a numeral-only insult inside a spoken number, third parties naming themselves by any relation of
the people classes, the listener's family invited to plan, hedges that cannot make a never-lawful
claim lawful, the law's own conditions explained, the stonewall dare, the lending-app push, and a
pronoun swap in a liability member."""

from __future__ import annotations

import re

import pytest

from auditor.compliance.matching import _dropped_subject_spans
from auditor.compliance.numbers import inside_numeral_run
from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import classify_reply
from bench.eval_rules import line_categories
from tests.helpers import lexical_raised

AB, TPD, FL, NL, IMP = "abuse", "third_party_disclosure", "false_legal", "new_loan", "impatience"
# (line, category, whether the line raises it)
CASES = [
    # an insult made only of numerals is the number inside a longer spoken number or amount
    ("这期利息是二百五十元，本金三千二百五。", AB, False),
    ("滞纳金就二百五块钱，可以申请减免。", AB, False),
    ("你就是个二百五，利息都算不清。", AB, True),
    # the listener's own family invited to plan with them tells the family nothing ...
    ("您爱人要是方便的话，可以一起商量一下还款计划。", TPD, False),
    ("您家里人有空的话，可以跟您一起想想办法，把这笔逾期处理掉。", TPD, False),
    # ... but naming whose debt it is first is the disclosure
    ("你老公欠我们的钱，你们一起想办法还上吧。", TPD, True),
    # the debtor's own duty said to the debtor is no third party's liability
    ("不爱听就挂了呗，反正钱你得还。", TPD, False),
    # a hedge cannot make a never-lawful claim lawful, nor give the lender a court's power
    ("我们有权直接从你的微信零钱里把钱划走。", FL, True),
    ("我们有权冻结你的支付宝和微信。", FL, True),
    ("逾期严重的，我们有权依法起诉。", FL, False),
    ("根据合同我们有权要求您提前还清全部欠款。", FL, False),
    # the law's own conditions explained, hedged, are no claim; said of the listener they are
    ("按照法律规定，恶意透支情节严重的可能涉及刑事责任。", FL, False),
    ("如果恶意透支且经催收不还，依法可能承担刑事责任，您这个情况目前还是协商阶段。", FL, False),
    ("你这属于恶意透支，可能要承担刑事责任。", FL, True),
    ("你已经超过三个月不还了，依法可能追究你的刑事责任。", FL, True),
    # the displeasure dare and talk declared futile; their polite counterparts
    ("你嫌我态度不好那你挂电话啊。", IMP, True),
    ("嫌我说话难听，那你别接我们电话啊。", IMP, True),
    ("你打多少遍都一样，结果不会变。", IMP, True),
    ("您要是觉得我说话不合适，可以换一位同事为您服务。", IMP, False),
    ("他不爱听这些，您慢慢跟他说。", IMP, False),
    # getting a lending app, the money out, then repay us; our own app is no loan
    ("你下载一个叫好分期的软件，审核很快，下了款直接还我们。", NL, True),
    ("你去应用商店搜一下闪电借，十分钟就能到账，到了先转我们这边。", NL, True),
    ("您下载我们的APP，登录以后在上面还款就行。", NL, False),
    ("您搜一下我们的官方小程序，工资到账了记得存到卡里还款。", NL, False),
    ("您千万别去下载那些借款软件来还我们，会越滚越多。", NL, False),
]


@pytest.mark.parametrize(("text", "category", "raised"), CASES)
def test_rules11_classes(rules: RuleSet, text: str, category: str, raised: bool) -> None:
    assert (category in lexical_raised(rules, text)) is raised


@pytest.mark.parametrize(("text", "s", "e", "inside"), [
    ("利息二百五十元", 2, 5, True),  # a numeral follows
    ("三千二百五", 3, 6, True),  # a numeral before it
    ("二百五块钱", 0, 3, True),  # an amount unit follows
    ("你个二百五！", 2, 5, False),
    ("二百五", 0, 3, False),
    ("傻瓜十块", 0, 2, False),  # not a numeral word
])
def test_inside_numeral_run(text: str, s: int, e: int, inside: bool) -> None:
    assert inside_numeral_run(text, s, e) is inside


@pytest.mark.parametrize(("reply", "verdict"), [
    ("我是他嫂子，他出门了。", "deny"),  # a relative of the people classes, not of a fixed list
    ("我是他表哥，好久没联系了。", "deny"),
    ("我是她家保姆。", "deny"),  # the settings' extra relations
    ("我是人事部的，你哪位？", "deny"),
    ("这里是宏达物流前台。", "deny"),  # the phone answered by a place
    ("她是我女儿，有什么事跟我说", "deny"),
    ("这笔钱是我爸借的", "confirm"),  # no answer of who they are: the debtor speaking
])
def test_third_parties_name_themselves_by_any_relation(rules: RuleSet, reply: str,
                                                       verdict: str) -> None:
    assert classify_reply(reply, rules) == verdict


def test_a_third_party_answering_as_a_place_is_told_nothing(rules: RuleSet) -> None:
    line = {"speaker": "agent", "text": "找一下孙浩，他有一笔贷款一直拖着没还。",
            "context": [{"speaker": "customer", "text": "这里是宏达物流前台。"}]}
    assert TPD in line_categories(line, rules)


def test_a_dropped_subject_is_tried_at_the_clause_start_only() -> None:
    assert _dropped_subject_spans([re.compile("你是猪")], "是猪吗", False) == [(0, 2)]
    # the clause's question mark is read, and the span is clipped to the clause
    assert _dropped_subject_spans([re.compile("你是猪吗？")], "是猪吗", True) == [(0, 3)]
    # a match that does not start at the added 你 is not the dropped subject's
    assert _dropped_subject_spans([re.compile("猪你")], "是猪你", False) == []
    assert _dropped_subject_spans([re.compile("^你是猪")], "是猪", False) == []
