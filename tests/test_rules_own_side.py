"""`unless = ["own_side"]`: the people named are the speaker's own, not the debtor's."""

from __future__ import annotations

import pytest

from tests.helpers import agent_line_flags, categories

OWN = [
    "这个我去问一下我们领导，再给您回电话。",
    "我跟我的主管确认一下，稍后回复您。",
    "我得先请示一下我们公司的经理。",
]
THEIRS = [
    "再不还我们就告诉你们领导。",
    "我们会通知你的同事。",
    "我们领导说了，再不还就通知你家人。",
]


@pytest.mark.parametrize("text", OWN)
def test_the_agents_own_boss_is_no_third_party(rules, text: str) -> None:
    assert "third_party_disclosure" not in categories(agent_line_flags(rules, text))


@pytest.mark.parametrize("text", THEIRS)
def test_the_debtors_people_still_count(rules, text: str) -> None:
    assert "third_party_disclosure" in categories(agent_line_flags(rules, text))
