"""Round 8 (rules8) mechanisms, on lines written for these tests (not corpus, not dev lines):
third-party disclosure in plain words (a relay, a third person, a relative; a relative pressed in
their family role), the impatience families (mocking concession, wasted-time dismissal,
counter-question, cutting off), the quote marker whose object is the speaker (你问我，…), the
exclamation 没见过这么…的 (degree, not negation), the
own_goods exemption (selling one's own things is no new credit and no exposure, unless a
credit source is named), and the example layer's numpy model and gate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from auditor.compliance.matching import analyse, layer_support
from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import fit_logistic
from tests.helpers import lexical_raised

THIRD_PARTY = [
    "您是他表姐吧，跟他讲一声，他借的那笔钱今天就到日子了。",
    "她的分期已经两期没交了，您是她同学的话提醒她一下。",
    "您老公在我们这儿的账单拖了两个月了，您知道吗？",
    "您当爸的也该管管了，孩子在外面借的钱一分都没还。",
]
THIRD_PARTY_OK = [
    "您是他表姐吧，麻烦您转告他给我们回个电话，谢谢。",
    "您这个月的分期今天到期，记得按时还款哦。",
    "我们只跟借款人本人沟通，不会跟您说具体情况。",
    "您当妈妈的真不容易，孩子都这么大了。",
]
IMPATIENCE = [
    "对对对，你说得都对，那你倒是拿钱出来呀。",
    "有那时间在这跟我扯，你早就把钱凑上了。",
    "你问我，我又问谁？",
    "别打岔，先听我说。",
    "随你怎么说，反正这钱得还。",
]
IMPATIENCE_OK = [
    "对对对，您说得没错，我这边帮您记下来。",
    "您问我下个月能不能少还点？可以的，我帮您申请。",
    "有时间的话您登录app看一下账单明细。",
    "您别着急，慢慢说，我听着。",
]
OWN_GOODS_OK = [
    "家里用不着的旧电脑可以拿去回收，换点钱先还一部分。",
    "闲置的家具挂到闲鱼上卖掉，攒一攒先把这期还了。",
]
# 没见过这么…的: an exclamation of degree, not a negation; a real denial still negates
EXCLAMATION = ["从没见过你这样脸皮厚的人，拖了半年还有理。"]
DENIAL = ["我们没说过您脸皮厚，您误会了。"]
SHAM_SALE = ["用花呗在闲鱼上买个东西再卖出去，钱就到手了，先还我们这笔。"]


CASES = [*((t, "third_party_disclosure", True) for t in THIRD_PARTY),
         *((t, "third_party_disclosure", False) for t in THIRD_PARTY_OK),
         *((t, "impatience", True) for t in IMPATIENCE),
         *((t, None, False) for t in IMPATIENCE_OK + OWN_GOODS_OK),
         *((t, "new_loan", True) for t in SHAM_SALE),
         *((t, "abuse", True) for t in EXCLAMATION), *((t, None, False) for t in DENIAL)]


@pytest.mark.parametrize(("text", "category", "flagged"), CASES)
def test_round8_classes(rules: RuleSet, text: str, category: str | None, flagged: bool) -> None:
    """Each class flags its lines; the counterparts (a call-back request, one's own debt, polite
    agreement, selling one's own things) raise nothing (None: no lexical category at all)."""
    raised = lexical_raised(rules, text)
    if category is None:
        assert raised == set()
    else:
        assert (category in raised) is flagged


def test_gate_pair_needs_two_terms_of_a_rule_expression(rules: RuleSet) -> None:
    # a legal character inside an ordinary word: no false_legal expression has two terms here
    plain = analyse("这张桌子装得很牢固，您放心用。", rules)
    assert layer_support("false_legal", plain, rules, "pair") == []
    # a real threat: a visit verb and a place, two terms of one expression
    threat = analyse("我们明天就派人到你家门口等你。", rules)
    assert layer_support("threat", threat, rules, "pair")
    assert layer_support("threat", threat, rules, "none") == ["-"]


def _objective(x: np.ndarray, y: list[str], model, strength: float) -> float:
    classes = list(model.classes)
    idx = np.array([classes.index(c) for c in y])
    w = (len(y) / (len(classes) * np.bincount(idx)))[idx]
    p = model.probabilities(csr_matrix(x))
    return strength * float(-(w * np.log(p[np.arange(len(y)), idx])).sum()) \
        + 0.5 * float((model.coef ** 2).sum())


def test_numpy_logistic_regression_fits_and_reaches_the_minimum() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1.0, 0.3, (6, 4)), rng.normal(-1.0, 0.3, (6, 4)),
                   rng.normal(0.0, 0.3, (3, 4)) + [0, 0, 3, 0]])
    y = ["a"] * 6 + ["b"] * 6 + ["c"] * 3
    model = fit_logistic(csr_matrix(x), y, strength=10.0)
    p = model.probabilities(csr_matrix(x))
    assert np.allclose(p.sum(axis=1), 1.0)
    assert [model.classes[i] for i in p.argmax(axis=1)] == y
    # the fitted weights minimise the balanced, L2-penalised objective: any small move is worse
    best = _objective(x, y, model, 10.0)
    for _ in range(5):
        moved = type(model)(model.classes, model.coef + rng.normal(0, 1e-2, model.coef.shape),
                            model.intercept + rng.normal(0, 1e-2, model.intercept.shape))
        assert _objective(x, y, moved, 10.0) > best
