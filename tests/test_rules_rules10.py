"""rules10's classes in the matcher and packs, on lines written for these tests (not dev or
corpus lines): the people of the debtor's home and school as third parties, a contact aimed at
the debtor in person, the etiquette manuals' forbidden replies, and 把 forms of a verb-only
member."""

from __future__ import annotations

import pytest

from auditor.compliance.concepts import ba_forms
from auditor.compliance.rules import RuleSet
from tests.helpers import lexical_raised

TPD, IMP = "third_party_disclosure", "impatience"
# (line, category, whether the line raises it)
CASES = [
    # the people of the debtor's home and school told of the debt
    ("你是他房东吧？他欠了我们一笔钱到现在没还。", TPD, True),
    ("麻烦宿管阿姨跟她说一声，她拖我们的账两个月了。", TPD, True),
    ("您是孩子班主任吧，孩子爸爸在我们平台的借款逾期了。", TPD, True),
    # a contact aimed at the debtor in person is the lawful way round a third party ...
    ("请问您是这套房子的房东吗？我们想找一下租客本人。", TPD, False),
    ("您是他姐姐吧，好的，那我们直接找他本人谈。", TPD, False),
    ("他同事不方便的话，我们再联系他本人。", TPD, False),
    # ... while the debt named to the relative still counts
    ("您是他姐姐吧，他欠的钱一直没还。", TPD, True),
    # the etiquette manuals' forbidden replies
    ("跟你讲了你也搞不明白，按流程走就是了。", IMP, True),
    ("不管您说什么我都不想听，今天必须还。", IMP, True),
    ("我可不是你的保姆，什么都要我提醒。", IMP, True),
    # and their standard counterparts
    ("我再给您解释一遍，您看这样好理解吗？", IMP, False),
    ("您说的情况我都记下了，我帮您反馈。", IMP, False),
    ("您要投诉的话，我把投诉电话告诉您。", IMP, False),
    ("他不是您家里人吗？那不好意思打扰了。", IMP, False),
]


@pytest.mark.parametrize(("text", "category", "raised"), CASES)
def test_rules10_classes(rules: RuleSet, text: str, category: str, raised: bool) -> None:
    assert (category in lexical_raised(rules, text)) is raised


def test_a_verb_only_member_has_no_ba_form() -> None:
    # 告诉过你了: the object is the pronoun; 告诉 alone is no verb + object (把渠道告诉您)
    assert ba_forms("告诉过你了") == []
    assert ("脸", "丢") in ba_forms("丢脸")
