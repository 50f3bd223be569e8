"""Line-length and one-voice priors of mono attribution (roles.toml [prior] and [turns])."""

from __future__ import annotations

import pytest

from auditor.core.config import ConfigError
from auditor.speakers.roles import ROLES_PATH, change_probability, length_prior, load_roles


def test_long_lines_lean_agent_short_lines_say_nothing() -> None:
    roles = load_roles()
    assert length_prior(roles.long_line_s / 2, roles) == 0.0
    assert length_prior(roles.long_line_s, roles) == 0.0
    doubled = length_prior(2 * roles.long_line_s, roles)
    assert doubled == pytest.approx(min(roles.line_length_weight, roles.line_length_cap))
    assert length_prior(100 * roles.long_line_s, roles) == pytest.approx(roles.line_length_cap)


def test_two_long_lines_in_a_row_rarely_change_speaker() -> None:
    roles = load_roles()
    long_s = roles.long_line_s + 1.0
    a = {"start": 0.0, "end": long_s, "text": "这一段情况我给您详细说明一下"}
    b = {"start": long_s + 0.6, "end": 2 * long_s + 0.6, "text": "另外还有几点需要您了解"}
    short = {"start": long_s + 0.6, "end": long_s + 1.6, "text": "知道了"}
    assert change_probability(a, b, roles) == roles.turns.between_long_lines
    assert change_probability(a, short, roles) == roles.turns.change
    assert roles.turns.between_long_lines < roles.turns.change


def test_a_bad_one_voice_value_is_reported_with_its_line(tmp_path) -> None:
    text = ROLES_PATH.read_text(encoding="utf-8")
    assert text.count("one_voice = 0.1") == 1
    bad = tmp_path / "roles.toml"
    bad.write_text(text.replace("one_voice = 0.1", "one_voice = 1.5"), encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("one_voice"))
    with pytest.raises(ConfigError) as err:
        load_roles(bad)
    assert str(line) in str(err.value)


def test_a_roles_file_edited_in_place_is_read_again(tmp_path) -> None:
    import os

    text = ROLES_PATH.read_text(encoding="utf-8")
    mine = tmp_path / "roles.toml"
    mine.write_text(text, encoding="utf-8")
    before = load_roles(mine)
    assert load_roles(mine) is before  # unchanged: the reading is kept
    mine.write_text(text.replace("one_voice = 0.1", "one_voice = 0.2"), encoding="utf-8")
    st = mine.stat()
    os.utime(mine, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_roles(mine) is not before
    mine.write_text(text.replace("one_voice = 0.1", "one_voice = 1.5"), encoding="utf-8")
    os.utime(mine, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000))
    with pytest.raises(ConfigError):
        load_roles(mine)


def test_attribution_settings_edited_in_place_are_read_again(tmp_path) -> None:
    import os

    from auditor.speakers.settings import load_attribution_settings

    mine = tmp_path / "attribution.toml"
    mine.write_text("[embeddings]\nmin_side_s = 2.0\n", encoding="utf-8")
    assert load_attribution_settings(mine).embeddings.min_side_s == 2.0
    mine.write_text("[embeddings]\nmin_side_s = 3.0\n", encoding="utf-8")
    st = mine.stat()
    os.utime(mine, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_attribution_settings(mine).embeddings.min_side_s == 3.0
