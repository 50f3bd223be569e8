"""Concurrent use of one database by REAL processes: a batch-like writer saving calls, a rescore
rewriting the stored calls, and several reviewers posting verdicts, all at once. Nothing may be
lost: every call and every verdict is there at the end. Bounded loops; finishes in seconds."""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path
from typing import Any

from auditor.batch.rescore import rescore
from auditor.batch.run import save_audited
from auditor.store.db import Store
from tests.helpers import db_rows, spec_card

INSULT = "你这个老赖，欠钱不还还好意思接电话。"
SEEDS = 6
NEW_CALLS = 20
REVIEWERS = 3
PASSES = 2
ROUNDS = 10  # each reviewer changes its verdicts this many times, the last one counts
TIMEOUT_S = 120


def _card(name: str) -> dict[str, Any]:
    return spec_card(name, {"say": INSULT})


def _save(store: Store, i: int, prefix: str) -> None:
    call_id = f"{prefix}{i:062x}"
    save_audited(store, _card(f"{prefix}-{i}.wav"), call_id=call_id, path=f"{prefix}-{i}.wav",
                 size=100, model="fake", rules_version="batch")


def _child(role: str, db: str, go: Any, busy: Any, results: Any, arg: Any) -> None:
    """One process: wait for the start signal, do its part, report ok or the traceback.

    Reviewers start once the rescore has written its first call, so they post while it runs.
    """
    try:
        go.wait(TIMEOUT_S)
        if role.startswith("reviewer"):
            busy.wait(TIMEOUT_S)
        with Store(db) as store:
            if role == "writer":
                run_id = store.start_run({"concurrency": True}, "fake", "batch")
                for i in range(NEW_CALLS):
                    _save(store, i, "b")
                store.finish_run(run_id, "completed", 1.0, scored=NEW_CALLS)
            elif role == "rescore":
                for n in range(PASSES):  # alternate two rule sets, so every pass writes
                    rescore(store, [arg] if n % 2 == 0 else [], force=True,
                            on_call=lambda _id, _changed: busy.set())
            else:
                from auditor.review.verdicts import record_verdict

                other = {"confirmed": "false_alarm", "false_alarm": "confirmed"}
                for k in range(ROUNDS):
                    for flag_id, verdict in arg:
                        said = verdict if k == ROUNDS - 1 else other[verdict] if k % 2 else verdict
                        record_verdict(store, flag_id, said, role, comment=f"{role}:{flag_id}")
        results.put((role, "ok"))
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put((role, traceback.format_exc()))


def test_writer_rescore_and_reviewers_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "extra.toml").write_text(
        '[[rule]]\nid = "impatience.concurrency_test"\ncategory = "impatience"\n'
        'severity = "minor"\nphrases = ["欠钱"]\n', encoding="utf-8")
    with Store(db) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        for i in range(SEEDS):
            _save(store, i, "a")
        rescore(store)  # the seeds carry the real rules' flags
        ids = [r[0] for r in store.db.execute(
            "SELECT id FROM flags WHERE rule = 'abuse.insult' ORDER BY id")]
    assert len(ids) == SEEDS
    verdicts = {fid: ("confirmed" if k % 2 == 0 else "false_alarm") for k, fid in enumerate(ids)}
    work = {f"reviewer{r}": [(fid, verdicts[fid]) for fid in ids[r::REVIEWERS]]
            for r in range(REVIEWERS)}

    # fork where there is one: the children start with the modules imported (no re-import)
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    go, busy, results = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_child, args=("writer", str(db), go, busy, results, None)),
             ctx.Process(target=_child, args=("rescore", str(db), go, busy, results, str(pack)))]
    procs += [ctx.Process(target=_child, args=(name, str(db), go, busy, results, items))
              for name, items in work.items()]
    for p in procs:
        p.start()
    go.set()
    reports = dict(results.get(timeout=TIMEOUT_S) for _ in procs)
    for p in procs:
        p.join(TIMEOUT_S)
        assert p.exitcode == 0
    assert all(v == "ok" for v in reports.values()), reports

    # every call is there, each with its flags
    assert db_rows(db, "SELECT COUNT(*) FROM calls")[0][0] == SEEDS + NEW_CALLS
    flagged = db_rows(db, "SELECT COUNT(DISTINCT call_id) FROM flags WHERE rule = 'abuse.insult'")
    assert flagged[0][0] == SEEDS + NEW_CALLS
    assert db_rows(db, "SELECT status, scored FROM runs") == [("completed", NEW_CALLS)]
    # every verdict is there, on the same flag row, with its reviewer and comment
    for name, items in work.items():
        for fid, verdict in items:
            assert db_rows(db, f"SELECT rule, review_status, reviewer, comment FROM flags "
                               f"WHERE id = {fid}") == [("abuse.insult", verdict, name,
                                                         f"{name}:{fid}")]
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        final = rescore(store, force=True)  # the rules without the extra pack
    assert final.lost_verdicts == [] and final.kept_verdicts == SEEDS
