"""Cluster overhead: the local batch against ``--cluster local:2`` over the sample calls.

What is measured, and why this way: the same recordings are audited twice with the real model
into fresh databases, once by the local batch (2 worker processes) and once by a Dask
``LocalCluster`` of 2 single-threaded worker processes. Each timing covers everything a user
waits for: starting the workers (and, for Dask, the scheduler), each worker loading the model
once, hashing, auditing and writing SQLite. On the same cores the two should be about equal;
the difference is the cost of Dask (target: under 10%). The scorecards of both runs are
compared row for row (same calls, scores, flags and transcripts; the rows that differ are
printed), and the per-worker throughput gives the number of such machines needed for a night's
audio.

    .venv/bin/python -m bench.bench_cluster [CALLS_DIR] [--workers 2] [--repeat 1]
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from auditor.asr.model import available_cores
from auditor.batch.run import BatchSummary, find_recordings, run_batch
from bench.bench_batch import print_rows

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = ROOT / "samples" / "calls"
MAX_OVERHEAD = 0.10
MAX_SHOWN = 20  # differing rows printed
NIGHT_AUDIO_H = 500.0
NIGHT_H = 8.0


def _fingerprint(db: Path) -> list[tuple[Any, ...]]:
    """What must not depend on where a call ran: status, score, flags and every utterance."""
    with sqlite3.connect(db) as conn:
        calls = conn.execute(
            "SELECT id, status, score, passed, error FROM calls ORDER BY id"
        ).fetchall()
        utts = conn.execute(
            "SELECT call_id, idx, speaker, start, end, text FROM utterances ORDER BY call_id, idx"
        ).fetchall()
        flags = conn.execute(
            "SELECT call_id, idx, category, rule, start FROM flags ORDER BY call_id, idx"
        ).fetchall()
    return calls + utts + flags


def differing_rows(a: Path, b: Path) -> list[tuple[Any, ...]]:
    """The fingerprint rows of ``a`` that ``b`` lacks and those of ``b`` that ``a`` lacks, each
    tagged "local"/"cluster" (empty when both runs stored the same scorecards)."""
    left, right = _fingerprint(a), _fingerprint(b)
    in_left, in_right = set(left), set(right)
    only_a = [("local", *r) for r in left if r not in in_right]
    only_b = [("cluster", *r) for r in right if r not in in_left]
    return sorted(only_a + only_b, key=lambda r: (repr(r[1:3]), r[0] != "local"))


def bench_one(calls_dir: Path, workers: int, cluster: bool, tmp: Path) -> dict[str, Any]:
    """Audit ``calls_dir`` locally or on ``local:N``; wall time includes every start-up."""
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / ("cluster.db" if cluster else "local.db")
    executor = None
    if cluster:
        from auditor.batch.cluster import DaskExecutor

        executor = DaskExecutor(f"local:{workers}")
    t0 = time.perf_counter()
    summary: BatchSummary = run_batch([calls_dir], db, workers=workers, executor=executor)
    wall = time.perf_counter() - t0
    return {
        "how": f"cluster local:{workers}" if cluster else f"local {workers} workers",
        "workers": workers,
        "calls": summary.scored + summary.failed,
        "failed": summary.failed,
        "audio_s": summary.audio_s,
        "wall_s": wall,
        "rtf": wall / summary.audio_s if summary.audio_s else None,
        "rss": sorted(summary.worker_peak_rss_mb.values()),
        "db": db,
    }


def nodes_needed(rtf: float, audio_h: float = NIGHT_AUDIO_H, night_h: float = NIGHT_H) -> int:
    """Machines like this one to audit ``audio_h`` hours of audio in ``night_h`` hours."""
    return math.ceil(audio_h * rtf / night_h)


def run(
    auditor: Any = None,
    results: Any = None,
    calls_dir: Path = SAMPLES,
    workers: int = 2,
    repeat: int = 1,
) -> dict[str, Any]:
    """Section for ``make bench``: prints both real-time factors, returns the figures.

    ``repeat`` > 1 alternates the two runs and keeps the fastest of each (on a shared machine
    other load only ever slows a run down).

    Takes (and ignores) ``bench.py``'s loaded auditor: the workers load their own models, and
    that load is part of what is measured.
    """
    files = find_recordings([calls_dir]) if calls_dir.exists() else []
    print(f"\n== Local batch vs Dask cluster over {calls_dir} ({len(files)} recordings) ==")
    if not files:
        print("(no recordings; cluster benchmark skipped)")
        return {}
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("(dask.distributed is not installed: pip install -e '.[cluster]'; skipped)")
        return {}
    best: dict[bool, dict[str, Any]] = {}
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(max(1, repeat)):  # alternate, keep each one's fastest run
            for cluster in (False, True):
                r = bench_one(calls_dir, workers, cluster, Path(tmp) / f"{i}")
                if cluster not in best or r["wall_s"] < best[cluster]["wall_s"]:
                    best[cluster] = r
            diff = differing_rows(best[False]["db"], best[True]["db"])
            same = same and not diff and (
                _fingerprint(best[False]["db"]) == _fingerprint(best[True]["db"]))
            for row in diff[:MAX_SHOWN]:  # the sample calls are not a held-out set
                print("  differs:", *row)
            if diff:
                print(f"  {len(diff)} row(s) differ between the two runs")
    rows = [best[False], best[True]]
    print_rows(rows, "", lambda r: r["how"], "rss", width=22)
    local, dist = rows
    out: dict[str, Any] = {"cluster_same_scorecards": same}
    if local["rtf"] and dist["rtf"]:
        overhead = dist["rtf"] / local["rtf"] - 1
        verdict = "within" if overhead <= MAX_OVERHEAD else "over"
        print(
            f"cluster overhead {overhead:+.1%} ({verdict} the {MAX_OVERHEAD:.0%} target); "
            f"scorecards identical: {'yes' if same else 'NO'}"
        )
        per_worker = dist["audio_s"] / (dist["wall_s"] * workers)  # audio s per worker s
        cores = available_cores()
        nodes = nodes_needed(dist["rtf"])
        print(
            f"per worker: {per_worker:.2f} h of audio per worker-hour; {workers} workers on "
            f"{cores} cores: {NIGHT_AUDIO_H:.0f} h of audio in {NIGHT_H:.0f} h needs {nodes} "
            "machines like this one"
        )
        out.update(
            batch_rtf_local=round(local["rtf"], 3),
            batch_rtf_cluster=round(dist["rtf"], 3),
            cluster_overhead=round(overhead, 3),
            cluster_audio_h_per_worker_h=round(per_worker, 2),
            nodes_for_500h_in_8h=nodes,
        )
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry: ``bench_cluster.py [CALLS_DIR] [--workers 2] [--repeat 1]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calls_dir", nargs="?", type=Path, default=SAMPLES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs, keep the fastest")
    args = parser.parse_args(argv)
    return run(calls_dir=args.calls_dir, workers=args.workers, repeat=args.repeat)


if __name__ == "__main__":
    main()
