"""Role cues count a phrase only where the text says it, not where two other words meet."""

from __future__ import annotations

from auditor.speakers.roles import cue_score, line_cues, load_roles


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


def test_an_answer_cue_counts_in_full_only_after_a_question() -> None:
    roles = load_roles()
    full = roles.customer_phrases["是我"]
    part = roles.answers.unanswered_weight
    # 是我 after 请问是…本人吗 is the identity confirmed ...
    asked, answered = line_cues(["请问是张三本人吗", "是我"], roles)
    assert answered == cue_score("是我", roles, answered=True) == -full
    # ... the same words after a line that asks nothing are only part of that evidence
    assert line_cues(["今天天气很好", "是我"], roles)[1] == -full * part
    assert line_cues(["是我"], roles)[0] == -full * part  # a first line answers nothing
    # a proposal's 吧 (a pattern) too, and a cue that is no answer keeps its weight anywhere
    assert line_cues(["您什么时候能还？", "这周六吧"], roles)[1] < line_cues(["好", "这周六吧"],
                                                                        roles)[1] < 0
    assert line_cues(["好", "下个月"], roles)[1] == line_cues(["哪天还？", "下个月"], roles)[1]


def test_a_question_cue_counts_in_full_only_in_a_question() -> None:
    roles = load_roles()
    full = roles.agent_phrases["本人"]
    part = roles.questions.unasked_weight
    assert cue_score("本人虽说落选了？", roles) == full  # asked: in full
    assert cue_score("本人虽说落选了", roles) == full * part  # said of oneself: a part


def test_the_answer_and_question_lists_name_known_cues(tmp_path) -> None:
    import pytest

    from auditor.core.config import ConfigError

    path = tmp_path / "roles.toml"
    path.write_text('[answers]\nunanswered_weight = 0.25\nphrases = ["不存在"]\n'
                    "patterns = []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"roles.toml:3: \[answers\] phrases lists '不存在'"):
        load_roles(path)
    path = tmp_path / "q" / "roles.toml"
    path.parent.mkdir()
    path.write_text('[questions]\nunasked_weight = 0.25\nphrases = ["是我"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r":3: \[questions\] phrases lists '是我', which is not "
                                          r"a key of \[agent.phrases\]"):
        load_roles(path)


def test_a_cue_heard_by_its_sound_counts_only_beside_one_written() -> None:
    roles = load_roles()
    # 企业的 sounds ye de (也得, an agent's pressure word): in ordinary speech it is chance ...
    assert cue_score("企业的月光如此清亮", roles) == 0.0
    # ... but a misheard collection line keeps its sound-alikes beside the words written as said
    # (真心 for 征信, 个人真心 for 个人征信, with 会影响 and 您 written)
    written = roles.agent_phrases["会影响"] + roles.agent_phrases["您"]
    heard = cue_score("一期会影响您的个人真心", roles)
    assert heard > written + roles.agent_phrases["一期"]
    assert heard == min(roles.cue_cap, written + roles.agent_phrases["一期"]
                        + roles.agent_phrases["个人真心"] + roles.agent_phrases["征信"]
                        + roles.agent_phrases["个人征信"])
    # a pattern counts as written too: an amount beside the misheard 贷后 (戴后)
    assert cue_score("戴后那边3000元", roles) == roles.agent_phrases["贷后"] + 1.5


def test_a_question_cue_heard_by_its_sound_is_weighed_down_out_of_a_question() -> None:
    roles = load_roles()
    # 笨人 sounds 本人: beside 您好 (written) it counts, a quarter when the line asks nothing
    asked = cue_score("您好笨人吗", roles)
    told = cue_score("您好笨人", roles)
    assert asked - told == (1 - roles.questions.unasked_weight) * roles.agent_phrases["本人"]
