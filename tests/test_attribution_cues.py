"""Role cues count a phrase only where the text says it, not where two other words meet."""

from __future__ import annotations

from auditor.speakers.roles import cue_score, load_roles


def test_a_phrase_across_two_words_is_not_the_phrase() -> None:
    roles = load_roles()
    # 是我 (the debtor: "it's me") read off 就是 + 我们 is no customer cue ...
    assert cue_score("就是我们", roles) == 0.0
    # ... said as its own words it is one, however the line goes on.
    assert cue_score("是我", roles) < 0.0
    assert cue_score("对，是我啊", roles) < 0.0


def test_a_phrase_inside_one_word_still_counts() -> None:
    roles = load_roles()
    # 您 inside 您好, and the greeting itself: both agent cues, as before.
    assert cue_score("您好", roles) == roles.agent_phrases["您好"] + roles.agent_phrases["您"]
