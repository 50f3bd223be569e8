"""`rules_version` covers every file that shapes a scorecard from its transcript (the packs, the
judging configuration, the tokeniser's dictionary), so `auditor run` and `auditor rescore`
re-score after a threshold, weight or cue changes, not only after a pack changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import auditor.analysis as analysis
import auditor.compliance.tokens as tokens
from auditor.batch.rescore import Rescorer, rescore
from auditor.batch.run import run_batch
from auditor.core.config import CONFIG_DIR
from auditor.store.db import Store
from tests.helpers import InProcess

CALL = [
    {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "您好，请问是王明先生吗？"},
    {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "是我。"},
    {"speaker": "agent", "start": 3.5, "end": 6.0, "text": "好的，感谢您的接听，再见。"},
]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the packaged configuration and dictionary that the version is read from."""
    conf = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, conf)
    userdict = tmp_path / "userdict.txt"
    shutil.copy(tokens.USERDICT, userdict)
    monkeypatch.setattr(analysis, "CONFIG_DIR", conf)
    monkeypatch.setattr(tokens, "USERDICT", userdict)
    return conf


def _touch(path: Path) -> None:
    """Change a file as an edit would (a comment line: same settings, other bytes)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n# edited by a QA lead\n")



def test_the_pipeline_and_the_rescore_stamp_the_same_version(rules) -> None:
    from auditor.pipeline import Auditor

    version = Auditor(load_asr=False).rules_version
    assert version == Rescorer(rules).version == analysis.rules_version(rules)
    assert version != rules.version  # more than the packs


@pytest.mark.parametrize("name", ["evidence.toml", "delivery.toml", "scoring.toml",
                                  "outcome.toml"])
def test_a_change_to_a_judging_config_file_changes_the_version(config: Path, rules,
                                                               name: str) -> None:
    before = analysis.rules_version(rules)
    _touch(config / name)
    assert analysis.rules_version(rules) != before


def test_every_config_file_but_the_hearing_ones_is_covered(config: Path) -> None:
    covered = {p.name for p in analysis.judging_files()}
    packaged = {p.name for p in CONFIG_DIR.glob("*.toml")}
    assert covered >= packaged - set(analysis.HEARING_CONFIG)
    assert not covered & set(analysis.HEARING_CONFIG)
    assert tokens.USERDICT.name in covered


@pytest.mark.parametrize("name", analysis.HEARING_CONFIG)
def test_the_hearing_configuration_is_not_in_the_version(config: Path, rules, name: str) -> None:
    before = analysis.rules_version(rules)
    _touch(config / name)
    assert analysis.rules_version(rules) == before


def test_a_change_to_the_dictionary_changes_the_version(config: Path, rules) -> None:
    before = analysis.rules_version(rules)
    _touch(tokens.USERDICT)
    assert analysis.rules_version(rules) != before


def test_a_new_config_file_is_covered_without_a_code_change(config: Path, rules) -> None:
    before = analysis.rules_version(rules)
    (config / "closing.toml").write_text("[closing]\nwords = []\n", encoding="utf-8")
    assert analysis.rules_version(rules) != before


def test_run_and_rescore_score_again_after_a_config_change(tmp_path: Path, config: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.wav").write_text(json.dumps(CALL, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "a.db"
    first = run_batch([inbox], db, executor=InProcess(), extensions=(".wav",))
    again = run_batch([inbox], db, executor=InProcess(), extensions=(".wav",))
    assert (first.scored, again.scored, again.skipped) == (1, 0, 1)
    _touch(config / "scoring.toml")
    changed = run_batch([inbox], db, executor=InProcess(), extensions=(".wav",))
    assert (changed.scored, changed.skipped) == (1, 0)
    assert changed.rules_version != first.rules_version
    _touch(config / "delivery.toml")
    with Store(db) as store:
        summary = rescore(store)
        (call_id,) = store.known_ids()
        stored = store.call_row(call_id)["rules_version"]
    assert summary.rescored == 1 and summary.skipped == 0
    assert stored == summary.rules_version != changed.rules_version


def test_rules_list_prints_the_version_scorecards_are_stamped_with(rules) -> None:
    from click.testing import CliRunner

    from auditor.cli.main import cli

    out = CliRunner().invoke(cli, ["rules", "list"])
    assert out.exit_code == 0, out.output
    assert out.stdout.rstrip().endswith(f"version {analysis.rules_version(rules)}")
