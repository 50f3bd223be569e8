"""Batch throughput: real-time factor of ``auditor run`` over the sample calls, 1 vs 2 workers.

What is measured, and why it is measured this way: the nightly batch is judged by wall time
per hour of audio, so the timing covers everything a user waits for, including each worker
loading the model ONCE (the pool initializer) and the parent hashing files and writing SQLite.
Each configuration audits every sample call into a fresh temporary database. Peak RSS is
reported per worker process (``ru_maxrss`` read inside the worker after its last call), which
is the memory figure to size a machine by: workers x peak RSS, plus the small parent.

    .venv/bin/python -m bench.bench_batch [CALLS_DIR] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from auditor.batch.run import find_recordings, run_batch

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = ROOT / "samples" / "calls"
TARGET_RTF = 0.12


def bench_workers(calls_dir: Path, workers: int) -> dict[str, Any]:
    """Audit every recording in ``calls_dir`` with ``workers`` processes into a fresh DB."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = run_batch([calls_dir], Path(tmp) / "bench.db", workers=workers)
        wall = time.perf_counter() - t0
    rss = sorted(summary.worker_peak_rss_mb.values())
    return {
        "workers": workers,
        "calls": summary.scored + summary.failed,
        "failed": summary.failed,
        "audio_s": summary.audio_s,
        "wall_s": wall,
        "rtf": wall / summary.audio_s if summary.audio_s else None,
        "worker_peak_rss_mb": rss,
    }


def print_rows(rows: list[dict[str, Any]], title: str, label: Any, rss_key: str,
               width: int = 7) -> None:
    """One line per batch configuration: calls, audio, wall time, RTF, peak RSS per worker.

    `label(row)` names the configuration under the column `title`; shared with
    bench_cluster.py so both tables read the same.
    """
    print(
        f"{title:<{width}} {'calls':>5} {'failed':>6} {'audio s':>8} {'wall s':>7} {'RTF':>6} "
        f"{'peak RSS/worker MB':>20}"
    )
    for r in rows:
        rtf = f"{r['rtf']:.3f}" if r["rtf"] is not None else "n/a"
        rss = ", ".join(f"{m:.0f}" for m in r[rss_key]) or "n/a"
        print(
            f"{label(r):<{width}} {r['calls']:>5} {r['failed']:>6} {r['audio_s']:>8.1f} "
            f"{r['wall_s']:>7.1f} {rtf:>6} {rss:>20}"
        )


def print_table(rows: list[dict[str, Any]]) -> None:
    """The side-by-side table that goes into the README."""
    print_rows(rows, "workers", lambda r: str(r["workers"]), "worker_peak_rss_mb")
    best = min((r["rtf"] for r in rows if r["rtf"] is not None), default=None)
    if best is not None:
        verdict = "meets" if best <= TARGET_RTF else "misses"
        print(f"best batch RTF {best:.3f} {verdict} the target {TARGET_RTF}")
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"parent (writer) peak RSS {parent:.0f} MB")


def run(
    auditor: Any = None,
    results: Any = None,
    calls_dir: Path = SAMPLES,
    workers: tuple[int, ...] = (1, 2),
) -> dict[str, Any]:
    """Section for ``make bench``: prints the table, returns the figures for the summary.

    Takes (and ignores) ``bench.py``'s loaded auditor so it fits its stage-bench hook: the
    batch's workers load their own models, and that load is part of what is measured.
    """
    files = find_recordings([calls_dir]) if calls_dir.exists() else []
    print(f"\n== Batch over {calls_dir} ({len(files)} recordings; model load included) ==")
    if not files:
        print("(no recordings; batch benchmark skipped)")
        return {}
    rows = [bench_workers(calls_dir, w) for w in workers]
    print_table(rows)
    out: dict[str, Any] = {}
    for r in rows:
        w = r["workers"]
        out[f"batch_rtf_{w}w"] = None if r["rtf"] is None else round(r["rtf"], 3)
        out[f"batch_peak_rss_mb_per_worker_{w}w"] = round(max(r["worker_peak_rss_mb"] or [0]))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry: ``bench_batch.py [CALLS_DIR] [--workers 1,2]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calls_dir", nargs="?", type=Path, default=SAMPLES)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = parser.parse_args(argv)
    workers = tuple(int(w) for w in args.workers.split(",") if w.strip())
    return run(calls_dir=args.calls_dir, workers=workers)


if __name__ == "__main__":
    main()
