"""Member matching that holds on wording the classes were not written for (issue 12): particles
and counts inside a member, an optional 的, interchangeable characters, glued words, A-not-A
questions, rhetorical questions, single strong acts, and the new classes."""

from __future__ import annotations

import re

import pytest

from auditor.compliance.concepts import member_regex
from auditor.compliance.matching import _a_not_a, squeeze
from auditor.compliance.rules import RuleSet
from auditor.compliance.tokens import Clause
from tests.helpers import agent_line_flags


def cats(rules: RuleSet, text: str) -> set[str]:
    return {f["category"] for f in agent_line_flags(rules, text)
            if not f["rule"].startswith("steps.")}


def test_counts_in_a_member_stand_for_any_count() -> None:
    rx = re.compile(member_regex("借一笔"))
    assert rx.fullmatch("借两笔") and rx.fullmatch("借几笔") and rx.fullmatch("借点")
    assert not rx.fullmatch("借个")  # a bare 个 is too common (打个电话)
    told = re.compile(member_regex("说了几遍"))
    assert told.fullmatch("说了三遍") and told.fullmatch("讲了十几遍")
    assert not told.fullmatch("说了一些")  # a count of times keeps its measure word


def test_trailing_and_attributive_de_and_same_characters() -> None:
    assert re.compile(member_regex("要饭的")).fullmatch("要饭")
    place = re.compile(member_regex("上班的地方"))
    assert place.fullmatch("上班那个地方") and place.fullmatch("上班地方")
    assert re.compile(member_regex("跟你说不清")).fullmatch("跟他讲不清")


def test_squeeze_drops_whole_particle_tokens_only() -> None:
    sq = squeeze(Clause.make("打断了他的腿"))
    assert sq is not None and sq[0].text == "打断腿"  # particles and the pronoun dropped
    assert all(sq[0].text[k] == "打断了他的腿"[sq[1][k]] for k in range(len(sq[0].text)))
    assert squeeze(Clause.make("目的地")) is None  # the 的 of 目的 is part of a word


def test_a_not_a_is_a_question_not_a_negation() -> None:
    assert _a_not_a("要不要给你做成海报", 1)
    assert not _a_not_a("我们不要上门", 2)


@pytest.mark.parametrize(("text", "category"), [
    ("你出门最好小心一点", "threat"),                      # modal inserted into a member
    ("过两天我们的人会去你公司门口等你", "threat"),        # people sent, place of the debtor
    ("你儿子在哪个学校上学我们都查得清清楚楚", "threat"),  # surveillance of a child
    ("要不要把你的照片做成海报贴到你们小区", "threat"),    # A-not-A question, not a negation
    ("找你朋友先借个几千把这期填上", "new_loan"),          # glued 先借, people as money source
    ("你不会问身边的人借吗，先把钱还了", "new_loan"),      # rhetorical question, not negated
    ("把车押出去，钱马上就有", "new_loan"),                # one strong act, no product named
    ("急什么急，等着", "impatience"),                      # the X什么X construction
    ("我有什么办法，公司规定就这样", "impatience"),        # shifting blame to the rules
    ("别跟我讲那么多理由", "impatience"),
    ("你算老几啊", "abuse"),
    ("我们已经给他公司人事打过电话了", "third_party_disclosure"),
    ("麻烦你转告他，他在我们这欠了三万多没还", "third_party_disclosure"),
])
def test_wording_the_classes_were_not_written_for(rules: RuleSet, text: str,
                                                   category: str) -> None:
    assert category in cats(rules, text)


@pytest.mark.parametrize("text", [
    "我们不会联系您的家人，请放心",
    "您可以跟家人商量一下还款方案",
    "请您不要借新还旧，这样风险更大",
    "您自己看一下APP上的账单就清楚了",
    "麻烦您转告他回个电话，谢谢",
    "我给您打个电话确认一下",
    "那不打扰了，麻烦您转告他联系一下我们",
])
def test_compliant_lines_stay_clean(rules: RuleSet, text: str) -> None:
    assert cats(rules, text) == set()


@pytest.mark.parametrize("text", [
    "您别担心，不会影响孩子考公",              # the negator sits in the consequence's clause
    "您要是觉得我们是骗子，可以打官方客服核实",  # the customer's suspicion, not an insult
    "您别借新还旧，先跟我们协商分期",          # a polite prohibition
    "您可以拨打一二三七八反映问题",            # the regulator's line given politely
    "刚才信号不好，您能再说一遍吗",            # one repetition asked for is polite
])
def test_negation_in_any_clause_and_polite_forms(rules: RuleSet, text: str) -> None:
    assert cats(rules, text) == set()


@pytest.mark.parametrize("text", [
    "您在我们平台借了一笔钱，现在需要还上",    # 了 inside the act: the existing debt
    "您之前借的一笔款今天到期了，记得还款",    # 的 after the verb, and 之前
    "您是在银行办的信用卡，需要还最低还款",
    "您在花呗借的钱已经逾期了",                # the creditor's own product named
])
def test_the_existing_debt_is_not_a_new_loan(rules: RuleSet, text: str) -> None:
    assert "new_loan" not in cats(rules, text)


def test_past_is_an_unless_value_a_pack_may_use(tmp_path) -> None:
    from auditor.compliance.rulepack import check_pack

    pack = tmp_path / "p.toml"
    pack.write_text('[[rule]]\nid = "new_loan.mine"\ncategory = "new_loan"\n'
                    'near = ["new_credit_act ~s repay_word+"]\nunless = ["past", "later"]\n',
                    encoding="utf-8")
    problems = check_pack(pack)
    assert len(problems) == 1 and "'later'" in problems[0] and ":5:" in problems[0]


@pytest.mark.parametrize("text", [
    "上门服务需要您同意，我们不会随便去",      # 随便你 must not shrink to 随便
    "您说家里有人生病，我们很理解",            # 有人 alone is no surveillance
    "如果您一直不还，我们可能会委托律师发律师函",  # 一直 alone is no endless calling
    "您的紧急联系人我们不会去打扰",            # the bare mention of the emergency contact
])
def test_everyday_words_left_by_a_member_do_not_flag(rules: RuleSet, text: str) -> None:
    assert cats(rules, text) == set()


def test_a_trailing_pronoun_drops_only_from_a_rare_remainder() -> None:
    assert not re.compile(member_regex("随便你")).fullmatch("随便")
    assert re.compile(member_regex("懒得理你")).fullmatch("懒得理")
