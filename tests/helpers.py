"""Plain helpers shared by the test modules: the fake auditor and its fake recordings, the
sample calls, synthetic tones.

The fake auditor reads a tiny JSON "recording" and returns a canned scorecard, so the batch,
store, CLI and report tests exercise their machinery without the Whisper model. Everything
here is top-level in an importable module (``tests.helpers``) so that worker processes of the
batch and of Dask can unpickle the factories. Fixtures built on these are in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent
SAMPLES = ROOT / "samples" / "calls"


def tone(seconds: float, rate: int, freq: float = 220.0, amp: float = 0.3) -> np.ndarray:
    """A sine tone of ``seconds`` at ``rate`` Hz, float32: a stand-in for a voice."""
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def sample_calls() -> list[Path]:
    """Every sample recording that has a truth file beside it."""
    calls = []
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        name = json.loads(truth.read_text(encoding="utf-8"))["file"]
        calls.append(SAMPLES / name)
    return calls


# ---------------------------------------------------------------- the fake auditor


def spec_card(path: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A scorecard in the spec's shape built from a fake recording's description."""
    duration = float(spec.get("duration", 60.0))
    flags = spec.get("flags", [])
    card = {
        "call_id": None,
        "file": path,
        "status": "ok",
        "error": None,
        "duration_s": duration,
        "channels": 2,
        "layout": "stereo",
        "asr": {"model": "fake", "language": "zh", "speech_s": duration / 2, "coverage": 0.97},
        "utterances": [
            {
                "speaker": "agent",
                "start": 0.5,
                "end": 3.0,
                "text": "您好，请问是李明先生吗？",
                "channel": 0,
            },
            {"speaker": "customer", "start": 3.5, "end": 4.5, "text": "是我。", "channel": 1},
            {
                "speaker": "agent",
                "start": 5.0,
                "end": 9.0,
                "text": spec.get("say", "我是东方银行的贷后专员，感谢您的配合，再见。"),
                "channel": 0,
            },
        ],
        "metrics": {
            "agent": {"speech_rate_cpm": spec.get("cpm", 230), "talk_s": spec.get("agent_s", 25.0)},
            "customer": {"speech_rate_cpm": 190, "talk_s": spec.get("customer_s", 12.0)},
            "longest_silence_s": 2.0,
            "overlap_count": 0,
        },
        "steps": {"greeting": True, "closing": True},
        "flags": [
            {
                "category": f["category"],
                "rule": f.get("rule", f["category"] + ".fake"),
                "severity": f.get("severity", "major"),
                "speaker": "agent",
                "start": f.get("start", 5.0),
                "end": f.get("end", 9.0),
                "evidence": f.get("evidence", "证据"),
                "matched": f.get("matched", "证据"),
            }
            for f in flags
        ],
        "outcome": spec.get("outcome"),
        "score": None,
        "passed": None,
    }
    return card


class FakeAuditor:
    """Stands in for ``auditor.pipeline.Auditor``; content decides the outcome.

    ``CORRUPT...`` returns a failed card (like bad audio), ``RAISE...`` raises, ``CRASH...``
    kills the worker process; anything else is JSON describing the call.
    """

    def __init__(
        self,
        delay: float = 0.0,
        model: str = "fake-base",
        rules: str = "rules-1",
        log: str | None = None,
    ) -> None:
        self.delay = delay
        self.model_name = model
        self.rules_version = rules
        self.log = log

    def audit(self, path: str, call_id: str | None = None, score: bool = True,
              call_start: str | None = None) -> dict[str, Any]:
        """Return the canned scorecard of a fake recording (never scored, as the batch asks)."""
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {path}\n")
        if self.delay:
            time.sleep(self.delay)
        data = Path(path).read_bytes()
        if data.startswith(b"CORRUPT"):
            return {
                **spec_card(path, {}),
                "status": "failed",
                "error": f"{path} is not audio the decoder can read; re-export it.",
                "utterances": [],
                "flags": [],
                "metrics": {},
                "steps": {},
                "duration_s": None,
            }
        if data.startswith(b"RAISE"):
            raise ValueError("fake decoder exploded")
        if data.startswith(b"CRASH"):
            os._exit(3)
        return spec_card(path, json.loads(data.decode("utf-8")))


def make_fake(
    delay: float = 0.0, model: str = "fake-base", rules: str = "rules-1", log: str | None = None
) -> FakeAuditor:
    """Picklable factory for the batch's pool initializer."""
    return FakeAuditor(delay=delay, model=model, rules=rules, log=log)


def fake_build_auditor(
    model_dir: str | None = None, rules_dirs: Any = (), agent_channel: int = 0, threads: int = 0
) -> FakeAuditor:
    """Same signature as ``executor.build_auditor``; the CLI tests patch it in."""
    return FakeAuditor(log=os.environ.get("FAKE_AUDIT_LOG"))


def broken_factory() -> FakeAuditor:
    """A factory whose model cannot load."""
    raise FileNotFoundError("models/whisper-base/model.bin is missing; run make setup")


def write_call(folder: Path, name: str, **spec: Any) -> Path:
    """Write a fake recording (its content is unique per name, so hashes differ)."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(json.dumps({"name": name, **spec}, ensure_ascii=False), encoding="utf-8")
    return p


def make_calls(folder: Path, n: int, **spec: Any) -> list[Path]:
    """``n`` ordinary fake recordings."""
    return [write_call(folder, f"call_{i:03d}.wav", **spec) for i in range(n)]


def audited(log: Path) -> list[str]:
    """Paths the fake auditor was asked to audit (one line per audit)."""
    if not log.exists():
        return []
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def db_rows(db: Path, sql: str) -> list[tuple]:
    """Rows of a query, through a fresh plain sqlite3 connection."""
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def turns_call(*turns: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A call from turns (speaker, text[, confidence[, agent_posterior]]) three seconds apart,
    each 2.5 s long: the shape the script-step tests build their calls in."""
    out = []
    for i, t in enumerate(turns):
        u: dict[str, Any] = {"speaker": t[0], "start": 3.0 * i, "end": 3.0 * i + 2.5,
                             "text": t[1]}
        if len(t) > 2 and t[2] is not None:
            u["confidence"] = t[2]
        if len(t) > 3:
            u["agent_posterior"] = t[3]
        out.append(u)
    return out


def categories(flags: list[dict[str, Any]]) -> set[str]:
    """The categories of a list of flags."""
    return {f["category"] for f in flags}


def agent_line_flags(rules: Any, text: str, start: float = 0.0, end: float = 1.0
                     ) -> list[dict[str, Any]]:
    """The flags the rules raise on one agent line: the rule tests' probe."""
    from auditor.compliance.audit import audit_utterances

    flags, _ = audit_utterances([{"speaker": "agent", "text": text, "start": start,
                                  "end": end}], rules)
    return flags


def lexical_raised(rules: Any, text: str) -> set[str]:
    """The lexical categories (vocab.LEXICAL_CATEGORIES) the rules raise on one agent line."""
    from auditor.core.vocab import LEXICAL_CATEGORIES

    return categories(agent_line_flags(rules, text)) & set(LEXICAL_CATEGORIES)


def assert_dev_row(rules: Any, row: dict[str, Any]) -> None:
    """A dev-set row judged: a violating agent line raises its category, a compliant one no
    lexical category at all."""
    raised = lexical_raised(rules, row["text"])
    if row["category"] == "compliant":
        assert raised == set()
    else:
        assert row["category"] in raised


def assert_fold_row(rules: Any, row: dict[str, Any]) -> None:
    """A row of an honest fold (with its `context` and speaker, judged as ``make eval`` judges
    the corpus): a violating line raises its category, a compliant one no lexical category (a
    customer's abuse is never raised against the agent)."""
    from bench.eval_rules import LEXICAL, line_categories

    raised = line_categories(row, rules) & set(LEXICAL)
    if row["category"] == "compliant":
        assert raised == set()
    else:
        assert row["category"] in raised


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines data file (blank lines skipped): the rules dev sets."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def known_miss_param(row: dict[str, Any], known: set[str]) -> Any:
    """A dev-set row as a pytest param named by its id, a strict xfail when it is a known miss
    (the known misses are listed, with why, in the test module)."""
    import pytest

    marks = [pytest.mark.xfail(strict=True, reason="known, see above")] \
        if row["id"] in known else []
    return pytest.param(row, id=row["id"], marks=marks)


class TranscriptAuditor:
    """The real analysis (no model) over a JSON transcript file standing for a recording, for
    batch tests that need real scorecards; its rules version is the pipeline's."""

    def __init__(self) -> None:
        from auditor.pipeline import Auditor

        self.inner = Auditor(load_asr=False)
        self.model_name = "none"
        self.rules_version = self.inner.rules_version

    def audit(self, path: str, call_id: str | None = None, score: bool = True,
              call_start: str | None = None) -> dict[str, Any]:
        utts = json.loads(Path(path).read_text(encoding="utf-8"))
        card = self.inner.audit_transcript(utts, path, "stereo", score=score,
                                           call_start=call_start)
        card["call_id"] = call_id
        card["duration_s"] = 20.0
        return card


class InProcess:
    """A batch executor that audits in the test's process with ``TranscriptAuditor`` (so a
    seam the test sets sees every call, and the rules version is read when it starts)."""

    workers = 1
    reads_urls = False

    def default_factory(self, *_: Any) -> Callable[[], Any]:
        return TranscriptAuditor

    def start(self, factory: Callable[[], Any]) -> None:
        self.auditor = factory()

    def identity(self) -> tuple[str, str, None, None]:
        return self.auditor.model_name, self.auditor.rules_version, None, None

    def results(self, pending: deque) -> Iterator[tuple[Any, dict[str, Any], Any]]:
        from auditor.batch.executor import audit_call

        while pending:
            item = pending.popleft()
            yield item, audit_call(self.auditor, item[0], item[1], item[3]), (0.0, None, None)

    def options(self) -> dict[str, Any]:
        return {}

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass
