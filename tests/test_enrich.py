"""The batch's enrichment: pure functions applied to a worker's scorecard before the save."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from auditor.batch import enrich
from auditor.batch import metadata as md
from auditor.batch.run import save_audited
from auditor.store.db import Store

REPO = Path(__file__).resolve().parent.parent
ABUSE = {"category": "abuse", "rule": "abuse.insult", "severity": "critical", "speaker": "agent",
         "start": 5.0, "end": 9.0, "evidence": "你就是个老赖", "matched": "老赖"}


def card(flags: list[dict[str, Any]] | None = None, say: str = "您好") -> dict[str, Any]:
    """A small worker scorecard, not scored yet (as ``audit(..., score=False)`` returns it)."""
    return {
        "call_id": None, "file": "/x/a.wav", "status": "ok", "error": None, "duration_s": 60.0,
        "channels": 2, "layout": "stereo", "asr": None,
        "utterances": [{"speaker": "agent", "start": 0.0, "end": 2.0, "text": say},
                       {"speaker": "customer", "start": 2.0, "end": 3.0, "text": "是我"}],
        "metrics": {"customer": {"talk_s": 1.0}}, "steps": {}, "flags": list(flags or []),
        "score": None, "passed": None,
    }


def meta(start: str, debtor: str = "D1", connected: bool | None = None) -> md.CallMeta:
    return md.CallMeta(file="a.wav", call_start=md.parse_time(start), agent_id="A1",
                       debtor_id=debtor, connected=connected)


def test_enrich_joins_metadata_then_scores_once_with_metadata_last() -> None:
    night = meta("2025-03-01 22:30")
    done = enrich.enrich(card([ABUSE]), call_id="c1", path="/x/a.wav", meta=night)
    out = done.card
    assert out["call_id"] == "c1"
    assert [f["category"] for f in out["flags"]] == ["abuse", md.CALL_HOURS]
    assert (out["score"], out["passed"], out["subscores"]["compliance"]) == (60, False, 60)
    assert list(out)[-2:] == ["subscores", "metadata"]
    assert out["metadata"] == {"agent_id": "A1", "debtor_id": "D1",
                               "call_start": "2025-03-01T22:30:00"}
    assert done.columns["call_date"] == "2025-03-01" and done.regrouped == {}


def test_redaction_comes_before_the_metadata_flags() -> None:
    leak = {**ABUSE, "evidence": "手机号13912345678", "matched": "13912345678"}
    digits = "1234567890123"  # a debtor id that looks like a personal number stays readable
    done = enrich.enrich(card([leak], say="13912345678"), call_id="c1", path="/x/a.wav",
                         meta=meta("2025-03-01 22:30", debtor=digits), redact=True)
    text = json.dumps(done.card, ensure_ascii=False)
    assert "13912345678" not in text and "139****5678" in text
    assert done.card["metadata"]["debtor_id"] == digits


def test_the_fourth_connected_call_of_a_day_is_flagged_and_earlier_ones_kept() -> None:
    group = []
    for i in range(3):
        stored = enrich.enrich(card(), call_id=f"c{i}", path=f"/x/{i}.wav",
                               meta=meta(f"2025-03-01 1{i}:00")).card
        group.append({"id": f"c{i}", "debtor_id": "D1", "call_date": "2025-03-01",
                      "call_start": f"2025-03-01T1{i}:00:00", "duration_s": 60.0, "card": stored})
    # A call placed before the others pushes the latest one over the limit.
    done = enrich.enrich(card(), call_id="c9", path="/x/9.wav", meta=meta("2025-03-01 09:00"),
                         group=group)
    assert [f["category"] for f in done.card["flags"]] == []
    assert list(done.regrouped) == ["c2"]
    (flag,) = done.regrouped["c2"]["flags"]
    assert flag["category"] == md.CALL_FREQUENCY and "connected call 4 of 4" in flag["evidence"]
    assert done.regrouped["c2"]["score"] == 100  # informational: no deduction


def test_save_audited_rewrites_the_other_calls_of_the_day_in_the_same_save(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        for i in range(4):
            save_audited(store, card(), call_id=f"c{i}", path=f"/x/{i}.wav", size=1, model="m",
                         rules_version="r", meta=meta(f"2025-03-01 1{i}:00"))
        flagged = store.flagged(category=md.CALL_FREQUENCY)
        assert [c["call_id"] for c in flagged] == ["c3"]
        # Reprocessed as another debtor's call, c1 leaves the group: c3 is no longer over.
        save_audited(store, card(), call_id="c1", path="/x/1.wav", size=1, model="m",
                     rules_version="r", meta=meta("2025-03-01 11:00", debtor="D2"))
        assert store.flagged(category=md.CALL_FREQUENCY) == []
        assert store.card("c3")["flags"] == []


def test_the_store_imports_neither_scoring_nor_metadata() -> None:
    for path in (REPO / "auditor" / "store").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in names if m.startswith(("auditor.score", "auditor.batch"))}, path
