"""A call scored once: the outcome is extracted once per call, dates resolved, in the batch
(the worker is handed the metadata's call start), in the rescore and in `auditor check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import auditor.outcome
from auditor.batch.rescore import rescore
from auditor.batch.run import run_batch
from auditor.cli.main import cli
from auditor.store.db import Store
from tests.helpers import InProcess

START = "2026-11-16T10:15:00+08:00"  # a Monday: 下周五 is 2026-11-27
CALL = [
    {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "您好，请问是王明先生吗？"},
    {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "是我。"},
    {"speaker": "agent", "start": 3.5, "end": 7.0,
     "text": "我是东方银行的贷后专员，您的欠款三千元已经逾期了。"},
    {"speaker": "customer", "start": 13.5, "end": 16.0, "text": "行吧，我下周五还三千元。"},
    {"speaker": "agent", "start": 16.5, "end": 19.0, "text": "好的，感谢您的配合，再见。"},
]


@pytest.fixture
def extractions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call of `extract_outcome` (the call start it was given), through the package."""
    seen: list[Any] = []
    real = auditor.outcome.extract_outcome

    def counting(utterances: Any, call_start: Any = None, *args: Any, **kw: Any) -> Any:
        seen.append(call_start)
        return real(utterances, call_start, *args, **kw)

    monkeypatch.setattr(auditor.outcome, "extract_outcome", counting)
    return seen


def _inbox(tmp_path: Path) -> tuple[Path, Path]:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "wang.wav").write_text(json.dumps(CALL, ensure_ascii=False), encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text(f"file,call_start,agent_id,debtor_id\nwang.wav,{START},A7,D1\n",
                    encoding="utf-8")
    return inbox, meta


def test_the_batch_extracts_the_outcome_once_with_the_metadata_start(
        tmp_path: Path, extractions: list[Any]) -> None:
    inbox, meta = _inbox(tmp_path)
    db = tmp_path / "a.db"
    summary = run_batch([inbox], db, metadata=meta, executor=InProcess(),
                        extensions=(".wav",))
    assert summary.scored == 1
    assert len(extractions) == 1, extractions  # not again when the metadata is applied
    assert str(extractions[0]).startswith("2026-11-16T10:15:00")
    with Store(db) as store:
        (call_id,) = store.known_ids()
        card = store.card(call_id)
        row = store.call_row(call_id)
    assert card["outcome"]["promise"]["due"] == "2026-11-27"
    assert row["promise_due"] == "2026-11-27" and row["agent_id"] == "A7"


def test_without_metadata_the_batch_extracts_once_and_leaves_due_null(
        tmp_path: Path, extractions: list[Any]) -> None:
    inbox, _ = _inbox(tmp_path)
    db = tmp_path / "a.db"
    run_batch([inbox], db, executor=InProcess(), extensions=(".wav",))
    assert extractions == [None]
    with Store(db) as store:
        (call_id,) = store.known_ids()
        assert store.card(call_id)["outcome"]["promise"]["due"] is None


def test_a_rescore_extracts_once_with_the_stored_start(
        tmp_path: Path, extractions: list[Any]) -> None:
    inbox, meta = _inbox(tmp_path)
    db = tmp_path / "a.db"
    run_batch([inbox], db, metadata=meta, executor=InProcess(), extensions=(".wav",))
    extractions.clear()
    with Store(db) as store:
        rescore(store, force=True)
        (call_id,) = store.known_ids()
        due = store.card(call_id)["outcome"]["promise"]["due"]
    assert len(extractions) == 1 and str(extractions[0]).startswith("2026-11-16T10:15:00")
    assert due == "2026-11-27"


def test_check_with_metadata_extracts_once(tmp_path: Path, extractions: list[Any]) -> None:
    _, meta = _inbox(tmp_path)
    transcript = tmp_path / "wang.json"
    transcript.write_text(json.dumps(CALL, ensure_ascii=False), encoding="utf-8")
    meta.write_text(f"file,call_start,agent_id\nwang.json,{START},A7\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--transcript", "--json", "--metadata",
                                      str(meta), str(transcript)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"]["promise"]["due"] == "2026-11-27"
    assert len(extractions) == 1
