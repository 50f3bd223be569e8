"""Config files: one reader, defaults only in the built-in files, problems reported by line."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.asr import settings as asr_settings
from auditor.asr.settings import load_asr_settings
from auditor.core import config
from auditor.core.config import ConfigError, Locator
from auditor.core.errors import AuditorError
from auditor.score import scoring
from auditor.score.scoring import load_config
from auditor.speakers import roles as roles_mod
from auditor.speakers import settings as attribution_settings
from auditor.speakers.roles import load_roles
from auditor.speakers.settings import load_attribution_settings
from auditor.voice import delivery
from auditor.voice.delivery import load_thresholds

ROOT = Path(__file__).resolve().parent.parent
# The four loaders' results as they were before the one reader (types kept: 12 is not 12.0).
SNAPSHOT = Path(__file__).resolve().parent / "data" / "config_defaults.json"

BUILTINS = {
    "asr": (asr_settings.CONFIG_PATH, asr_settings.SCHEMA),
    "delivery": (delivery.DEFAULT_PATH, delivery.SCHEMA),
    "scoring": (scoring.DEFAULT_CONFIG_PATH, scoring.SCHEMA),
    "roles": (roles_mod.ROLES_PATH, roles_mod.ROLES_SCHEMA),
    "attribution": (attribution_settings.ATTRIBUTION_PATH, attribution_settings.SCHEMA),
}


def plain(o: Any) -> Any:
    """A JSON form of loaded settings that keeps int and float apart."""
    if dataclasses.is_dataclass(o):
        return {f.name: plain(getattr(o, f.name)) for f in dataclasses.fields(o)}
    if isinstance(o, re.Pattern):
        return {"pattern": o.pattern}
    if hasattr(o, "items"):
        return {str(k): plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [plain(x) for x in o]
    if isinstance(o, bool) or o is None or isinstance(o, str):
        return o
    if isinstance(o, float):
        return {"float": o}
    if isinstance(o, int):
        return {"int": o}
    raise TypeError(o)


def line_of(path: Path, startswith: str) -> int:
    """1-based line of the first line of `path` that starts with `startswith`."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(startswith):
            return i
    raise AssertionError(startswith)


def edited(builtin: Path, tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of a built-in file with one line changed, and that line's number."""
    text = builtin.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / builtin.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, line_of(builtin, old)


def test_defaults_load_as_before() -> None:
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert plain(load_asr_settings()) == snapshot["asr"]
    assert plain(load_thresholds()) == snapshot["delivery"]
    assert plain(load_config()) == snapshot["scoring"]
    assert plain(load_roles()) == snapshot["roles"]
    # The attribution's thresholds as the constants in code held them before they moved.
    assert plain(load_attribution_settings()) == snapshot["attribution"]


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_builtin_files_pass_their_schema(name: str) -> None:
    path, schema = BUILTINS[name]
    assert config.problems(path, schema) == []


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("asr", "beam_size = 5", "beam_size = 0", "'beam_size' in [decode] must be 1 or more"),
        ("asr", "threshold = 0.5", "threshold = 1.5",
         "'threshold' in [vad] must be between 0 and 1"),
        ("asr", "pack_mix_channels = true", "pack_mix_channels = 1",
         "'pack_mix_channels' in [decode] must be true or false"),
        ("delivery", "max_s = 10.0", 'max_s = "ten"', "'max_s' in [long_silence] must be a number"),
        ("delivery", 'severity = "major"', 'severity = "loud"',
         "'severity' in [shouting] must be one of critical, major, minor, info"),
        ("scoring", "pass_mark = 60", "pass_mark = 160",
         "'pass_mark' in the top level must be between 0 and 100"),
        ("scoring", "critical = 40", "critical = 4.5",
         "'critical' in [severity] must be a whole number"),
        ("roles", "touching = 0.35", "touching = 1.35",
         "'touching' in [turns] must be between 0 and 1"),
        ("roles", '"工号" = 3.0', '"工号" = "high"', "'工号' in [agent.phrases] must be a number"),
        ("roles", "'吧\\W*$' = 1.0", "'吧(\\W*$' = 1.0",
         "pattern '吧(\\W*$' in [customer.patterns] is not a valid regular expression"),
        ("roles", "cue_cap = 6.0", "cue_cap = 0", "'cue_cap' in [prior] must be 0.1 or more"),
        ("attribution", "null_runs = 6", "null_runs = 2.5",
         "'null_runs' in [windows] must be a whole number"),
        ("attribution", "cos_one = 0.70", "cos_one = 1.7",
         "'cos_one' in [embeddings] must be between -1 and 1"),
        ("attribution", "mfcc = 1.2", "mfc = 1.2",
         "unknown key 'mfc' in [blocks] (did you mean 'mfcc'?)"),
    ],
)
def test_a_bad_value_is_reported_at_its_line(name: str, old: str, new: str, message: str,
                                             tmp_path: Path) -> None:
    builtin, schema = BUILTINS[name]
    path, line = edited(builtin, tmp_path, old, new)
    problems = config.problems(path, schema)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: {message}")


def test_loaders_raise_one_sentence_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "asr.toml"
    path.write_text("[decode]\nbeam_size = 5\nbatch_size = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_asr_settings(path)
    assert str(err.value) == (f"Cannot read the ASR settings {path}: line 3: 'batch_size' in "
                              f"[decode] must be 1 or more.")
    for loader, what in ((load_thresholds, "delivery thresholds"),
                         (load_config, "scoring configuration"), (load_roles, "role cues"),
                         (load_attribution_settings, "attribution settings")):
        with pytest.raises(ConfigError, match=f"Cannot read the {what} .*asr.toml: line 1: "):
            loader(path)


def test_unknown_keys_and_tables_get_a_close_match_hint(tmp_path: Path) -> None:
    path = tmp_path / "user.toml"
    path.write_text("[vad]\nthreshold = 0.4\nthreshhold = 0.4\n\n[decodes]\nbeam_size = 3\n",
                    encoding="utf-8")
    assert config.problems(path, asr_settings.SCHEMA) == [
        f"{path}:3: unknown key 'threshhold' in [vad] (did you mean 'threshold'?)",
        f"{path}:5: unknown table 'decodes' (did you mean 'decode'?)",
    ]
    path.write_text("[shouting]\nabove_median = 6.0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'above_median' in \[shouting\] "
                                          r"\(did you mean 'above_median_db'\?\)"):
        load_thresholds(path)


def test_syntax_errors_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "scoring.toml"
    path.write_text("pass_mark = 60\n[severity\nmajor = 10\n", encoding="utf-8")
    (problem,) = config.problems(path, scoring.SCHEMA)
    assert problem.startswith(f"{path}:2: TOML syntax error: ")
    with pytest.raises(ConfigError, match="does-not-exist.toml: cannot read the file"):
        load_config(tmp_path / "does-not-exist.toml")


def test_a_user_file_overrides_the_builtins_key_by_key(tmp_path: Path) -> None:
    base = load_asr_settings()
    path = tmp_path / "asr.toml"
    path.write_text("[vad]\nthreshold = 0.6\n[decode]\nbeam_size = 3\n", encoding="utf-8")
    mine = load_asr_settings(path)
    assert (mine.beam_size, mine.vad.threshold) == (3, 0.6)
    assert dataclasses.replace(mine, beam_size=base.beam_size,
                               vad=dataclasses.replace(mine.vad, threshold=0.5)) == base
    path.write_text("[severity]\nmajor = 20\n[category]\nabuse = 50\n", encoding="utf-8")
    cfg = load_config(path)
    assert cfg.severity == {**load_config().severity, "major": 20}
    assert cfg.category == {**load_config().category, "abuse": 50}
    path.write_text('[agent.phrases]\n"催收" = 2.5\n', encoding="utf-8")
    roles = load_roles(path)
    assert roles.agent_phrases == {**load_roles().agent_phrases, "催收": 2.5}
    assert roles.turns == load_roles().turns


def test_attribution_settings_override_and_their_ranges_in_order(tmp_path: Path) -> None:
    path = tmp_path / "attribution.toml"
    path.write_text("[windows]\nnull_runs = 3\n", encoding="utf-8")
    mine = load_attribution_settings(path)
    assert mine.null_runs == 3
    assert dataclasses.replace(mine, null_runs=6) == load_attribution_settings()
    # A range's ends in the wrong order is reported at the line of the end the file sets.
    path = tmp_path / "low.toml"  # (the loader caches by path: one file a case)
    path.write_text("[agreement]\n# chance\nlow = 0.95\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: line 3: 'low' in "
                                          r"\[agreement\] must be below 'high'\."):
        load_attribution_settings(path)
    path = tmp_path / "cos.toml"
    path.write_text("[embeddings]\ncos_clear = 0.5\ncos_one = 0.4\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 3: 'cos_clear' in \[embeddings\] must be "
                                          r"below 'cos_one'"):
        load_attribution_settings(path)
    path = tmp_path / "lean.toml"
    path.write_text("[embeddings]\nlean_one = 0.4\nlean_clear = 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 3: 'lean_one' in \[embeddings\] must be "
                                          r"below 'lean_clear'"):
        load_attribution_settings(path)


def test_merge_replaces_values_and_merges_tables() -> None:
    base = {"a": {"x": 1, "l": [1, 2]}, "b": 2}
    merged = config.merge(base, {"a": {"l": [3]}, "c": {"y": 1}})
    assert merged == {"a": {"x": 1, "l": [3]}, "b": 2, "c": {"y": 1}}
    assert base == {"a": {"x": 1, "l": [1, 2]}, "b": 2}


def test_locator_finds_quoted_keys_and_the_top_level() -> None:
    loc = Locator('top = 1\n[t]\n"工号" = 3.0\n\'a.b\' = 1\ntop = 2\n')
    assert loc.line_of("t", key="工号") == 3
    assert loc.line_of("t", key="a.b") == 4
    assert loc.line_of("", key="top") == 1
    assert loc.line_of("t", key="top") == 5


def test_every_error_derives_from_the_root() -> None:
    from auditor.asr.model import ModelError
    from auditor.asr.transcript import TranscriptError
    from auditor.audio.decode import AudioError
    from auditor.batch.cluster import AuditorUnavailable, RecordingUnavailable
    from auditor.batch.metadata import MetadataError
    from auditor.batch.run import BatchError
    from auditor.compliance.rulepack import RulePackError
    from auditor.review.verdicts import ReviewError
    from auditor.review.web import ServeError
    from auditor.store.db import StoreError

    for cls in (ModelError, TranscriptError, AudioError, AuditorUnavailable, RecordingUnavailable,
                MetadataError, BatchError, RulePackError, ReviewError, ServeError, StoreError,
                ConfigError):
        assert issubclass(cls, AuditorError), cls
    assert issubclass(RulePackError, ConfigError)
    assert issubclass(ConfigError, ValueError)  # as the scoring loader raised before


def test_only_the_config_reader_imports_tomllib() -> None:
    users = [p.relative_to(ROOT).as_posix() for p in (ROOT / "auditor").rglob("*.py")
             if re.search(r"^\s*(import tomli|from tomli)", p.read_text(encoding="utf-8"), re.M)]
    assert users == ["auditor/core/config.py"]
