"""rules10's classes in the matcher and packs, on lines written for these tests (not dev or
corpus lines): the people of the debtor's home and school as third parties, a contact aimed at
the debtor in person, the etiquette manuals' forbidden replies, and 把 forms of a verb-only
member."""

from __future__ import annotations

import pytest

from auditor.compliance.concepts import ba_forms
from auditor.compliance.rules import RuleSet
from tests.helpers import lexical_raised


@pytest.mark.parametrize("text", [
    "你是他房东吧？他欠了我们一笔钱到现在没还。",
    "麻烦宿管阿姨跟她说一声，她拖我们的账两个月了。",
    "您是孩子班主任吧，孩子爸爸在我们平台的借款逾期了。",
])
def test_people_of_home_and_school_told_of_the_debt(rules: RuleSet, text: str) -> None:
    assert "third_party_disclosure" in lexical_raised(rules, text)


@pytest.mark.parametrize("text", [
    "请问您是这套房子的房东吗？我们想找一下租客本人。",
    "您是他姐姐吧，好的，那我们直接找他本人谈。",
    "他同事不方便的话，我们再联系他本人。",
])
def test_a_contact_aimed_at_the_debtor_in_person_is_no_disclosure(rules: RuleSet,
                                                                  text: str) -> None:
    assert "third_party_disclosure" not in lexical_raised(rules, text)


def test_the_debt_named_to_a_relative_still_counts_beside_the_debtor_in_person(
        rules: RuleSet) -> None:
    assert "third_party_disclosure" in lexical_raised(rules, "您是他姐姐吧，他欠的钱一直没还。")


@pytest.mark.parametrize("text", [
    "跟你讲了你也搞不明白，按流程走就是了。",
    "不管您说什么我都不想听，今天必须还。",
    "我可不是你的保姆，什么都要我提醒。",
])
def test_etiquette_manuals_forbidden_replies(rules: RuleSet, text: str) -> None:
    assert "impatience" in lexical_raised(rules, text)


@pytest.mark.parametrize("text", [
    "我再给您解释一遍，您看这样好理解吗？",
    "您说的情况我都记下了，我帮您反馈。",
    "您要投诉的话，我把投诉电话告诉您。",
    "他不是您家里人吗？那不好意思打扰了。",
])
def test_standard_replies_are_not_impatience(rules: RuleSet, text: str) -> None:
    assert "impatience" not in lexical_raised(rules, text)


def test_a_verb_only_member_has_no_ba_form() -> None:
    # 告诉过你了: the object is the pronoun; 告诉 alone is no verb + object (把渠道告诉您)
    assert ba_forms("告诉过你了") == []
    assert ("脸", "丢") in ba_forms("丢脸")
