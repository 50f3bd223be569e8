"""`auditor rescore` against the batch: the time to judge the stored sample calls again with the
rules, as a share of the time their batch took (target: under 5%).

What is measured: a forced rescore with 1 and with 2 workers (every call judged again
and written back, rules loaded, as a user waits for it) over a copy of a database of the sample
calls; the batch's time is the ``wall_s`` of the run that audited them (the ``runs`` table).
The database is reused when given
(``--db`` or ``$AUDITOR_RESCORE_DB``, e.g. one made by ``auditor run samples/calls --db X``),
otherwise it is built here once with the real model (minutes).

    .venv/bin/python -m bench.bench_rescore [--db DB]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "calls"
TARGET_SHARE = 0.05
WORKERS = (1, 2)  # the default, and as many as the batch had


def _cpu_s() -> float:
    """CPU seconds of this process."""
    return time.process_time()


def batch_wall_s(db: Path) -> tuple[float, int]:
    """Wall time and calls of the run that audited the most calls in ``db``."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT wall_s, scored + failed FROM runs WHERE status = 'completed' "
            "AND wall_s IS NOT NULL ORDER BY scored + failed DESC, id DESC LIMIT 1").fetchone()
    if row is None or not row[1]:
        raise SystemExit(f"{db} has no completed run that audited calls")
    return float(row[0]), int(row[1])


def build_db(folder: Path) -> Path:
    """Audit the sample calls into a fresh database (the real model, two workers)."""
    from auditor.batch.run import run_batch

    db = folder / "samples.db"
    run_batch([SAMPLES], db, workers=2)
    return db


def run(auditor: Any = None, results: Any = None, db: str | Path | None = None) -> dict[str, Any]:
    """Time a forced rescore of the sample calls' database against its batch; print the share."""
    from auditor.batch.rescore import rescore
    from auditor.store.db import Store

    print("\n== Rescore of the stored sample calls against their batch ==")
    given = db or os.environ.get("AUDITOR_RESCORE_DB")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(given) if given else build_db(Path(tmp))
        for workers in WORKERS:
            work = Path(tmp) / f"rescore{workers}.db"
            with sqlite3.connect(source) as src, sqlite3.connect(work) as dst:
                src.backup(dst)  # a consistent copy, WAL contents included
            batch_s, calls = batch_wall_s(work)
            t0, c0 = time.perf_counter(), _cpu_s()
            with Store(work) as store:
                summary = rescore(store, force=True, workers=workers)
            rescore_s, cpu_s = time.perf_counter() - t0, _cpu_s() - c0
            share = rescore_s / batch_s if batch_s else float("nan")
            status = "met" if share < TARGET_SHARE else "NOT met"
            # the workers' CPU is not all seen from here: CPU is shown for one process only
            cpu = f", {cpu_s:.2f} s of CPU" if workers == 1 else ""
            print(f"--workers {workers}: {summary.rescored} calls rescored in {rescore_s:.2f} s"
                  f"{cpu} ({summary.changed} changed); their batch took "
                  f"{batch_s:.1f} s for {calls} calls: {share:.2%} "
                  f"(target < {TARGET_SHARE:.0%}: {status})")
            suffix = "" if workers == 1 else f"_{workers}w"
            out.update({f"rescore_s{suffix}": round(rescore_s, 3),
                        f"rescore_share_of_batch{suffix}": round(share, 4)})
            if workers == 1:
                out["rescore_cpu_s"] = round(cpu_s, 3)
            out["rescore_batch_s"] = round(batch_s, 3)
            out["rescore_changed"] = summary.changed
    print("(a loaded machine stretches the wall times, hardly the CPU time)")
    return out


def main() -> None:
    """Command line: ``--db`` reuses a database of the sample calls."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database of the sample calls made by `auditor run`")
    args = parser.parse_args()
    if args.db and not Path(args.db).exists():
        raise SystemExit(f"{args.db} does not exist")
    run(db=args.db)


if __name__ == "__main__":
    main()
