"""Model location: explicit directory, environment variable, and clear errors."""

import pytest

from auditor.asr.model import ModelError, resolve_model_dir


def test_missing_model_names_make_setup(tmp_path):
    with pytest.raises(ModelError, match="make setup"):
        resolve_model_dir(tmp_path / "absent")


def test_incomplete_model_names_what_is_missing(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="model.bin"):
        resolve_model_dir(tmp_path)


def test_environment_variable_is_used(tmp_path, monkeypatch):
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.setenv("AUDITOR_MODEL", str(tmp_path))
    assert resolve_model_dir(None) == tmp_path
    assert resolve_model_dir(tmp_path) == tmp_path


def test_broken_model_gives_one_sentence(tmp_path):
    from auditor.asr.model import load_model

    for name in ("model.bin", "config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="could not be loaded.*make setup"):
        load_model(tmp_path, threads=1)
