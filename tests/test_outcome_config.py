"""The outcome cues file: loads, and a broken one says what is wrong."""

import pytest

from auditor.outcome import OutcomeConfigError, load_config
from auditor.outcome.config import DEFAULT_PATH


def test_default_loads():
    cfg = load_config()
    assert "投诉" in cfg["customer"]["complaint_threats"]
    assert cfg["voice"]["shout_db"] > cfg["voice"]["raised_db"]


def test_not_toml(tmp_path):
    p = tmp_path / "o.toml"
    p.write_text("[promise\n", encoding="utf-8")
    with pytest.raises(OutcomeConfigError, match=r"line 1: TOML syntax error"):
        load_config(p)


def test_missing_file(tmp_path):
    with pytest.raises(OutcomeConfigError, match="cannot read the file"):
        load_config(tmp_path / "none.toml")


def test_wrong_type_names_the_key(tmp_path):
    p = tmp_path / "o.toml"
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("shout_db = 10.0", 'shout_db = "ten"')
    p.write_text(text, encoding="utf-8")
    with pytest.raises(OutcomeConfigError,
                       match=r"line \d+: 'shout_db' in \[voice\] must be a number"):
        load_config(p)


def test_unknown_key(tmp_path):
    p = tmp_path / "o.toml"
    p.write_text(DEFAULT_PATH.read_text(encoding="utf-8") + "\n[voice.extra]\n", encoding="utf-8")
    with pytest.raises(OutcomeConfigError, match=r"line \d+: unknown table"):
        load_config(p)
