"""The batch on a real Dask ``LocalCluster`` (2 worker processes), with the fake auditor.

One cluster serves the module (started once, ~3 s); the executor reaches it by its scheduler
address, as it would reach a scheduler on another machine. ``--cluster local:2`` is tested once
through the command line. The fakes are top-level so worker processes can import them.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

from click.testing import CliRunner  # noqa: E402

from auditor.batch import executor  # noqa: E402
from auditor.batch import run as batch  # noqa: E402
from auditor.batch.cluster import DaskExecutor, parse_cluster  # noqa: E402
from auditor.batch.run import BatchError, run_batch  # noqa: E402
from auditor.cli.main import cli  # noqa: E402
from tests.helpers import (  # noqa: E402
    FakeAuditor,
    audited,
    db_rows,
    fake_build_auditor,
    make_calls,
    make_fake,
    spec_card,
    write_call,
)

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- fakes (importable by workers)


class CrashOnceAuditor(FakeAuditor):
    """A fake whose worker process dies (``os._exit``) on ``CRASHONCE`` files the first time.

    The first attempt creates the marker file named in the recording and exits; the retry,
    on whichever worker gets it, finds the marker and audits the call normally.
    """

    def audit(self, path: str, call_id: str | None = None, score: bool = True) -> dict[str, Any]:
        """Crash once per marker, then behave like the plain fake."""
        data = Path(path).read_bytes()
        if data.startswith(b"CRASHONCE"):
            spec = json.loads(data[len(b"CRASHONCE") :].decode("utf-8"))
            marker = Path(spec["marker"])
            if self.log:
                with open(self.log, "a", encoding="utf-8") as f:
                    f.write(f"{os.getpid()} {path}\n")
            if not marker.exists():
                marker.write_text(str(os.getpid()), encoding="utf-8")
                time.sleep(0.3)  # die mid-call, not the instant the call arrives
                os._exit(3)
            return spec_card(path, spec)
        return super().audit(path, call_id=call_id, score=score)


def make_crash_once(log: str | None = None) -> CrashOnceAuditor:
    """Picklable factory of ``CrashOnceAuditor``."""
    return CrashOnceAuditor(log=log)


def make_probe() -> FakeAuditor:
    """A fake whose model name tells how its worker process was set up: the threads of every
    BLAS/OpenMP pool loaded (``threadpoolctl``) and the BLAS variables."""
    import numpy  # noqa: F401 - its BLAS pool is what is read
    from threadpoolctl import threadpool_info

    from auditor.batch.worker_setup import BLAS_THREAD_VARS

    pools = sorted({f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info()})
    env = [f"{var}={os.environ.get(var)}" for var in BLAS_THREAD_VARS]
    return FakeAuditor(model=" ".join(pools + env))


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster of 2 single-threaded worker processes; yields its scheduler address.

    ``allowed-failures`` is 1 so a file that always kills its worker fails after 2 deaths
    instead of 4 (the default 3 is what a real cluster should keep).
    """
    import dask
    from distributed import Client, LocalCluster

    environ = dict(os.environ)  # nannies write their pre-spawn variables into this process
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=60)
        yield cluster.scheduler_address
    finally:
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)


def run_on(scheduler: str, inbox: Path, db: Path, **kwargs: Any) -> batch.BatchSummary:
    """``run_batch`` on the module's cluster."""
    factory = kwargs.pop("factory", make_fake)
    return run_batch([inbox], db, factory=factory, executor=DaskExecutor(scheduler), **kwargs)


VOLATILE = {"processed_at", "run_id", "reviewed_at"}


def table_dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of the call tables, without ids of rows and timestamps, sorted."""
    out = {}
    with sqlite3.connect(db) as conn:
        for table in ("calls", "utterances", "flags", "metrics"):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in cols if c not in VOLATILE and not (c == "id" and table != "calls")]
            sql = (
                f"SELECT {', '.join(repr(c).replace(chr(39), chr(34)) for c in keep)} FROM {table}"
            )
            rows = conn.execute(sql).fetchall()
            if table == "calls":
                idx = keep.index("scorecard")
                rows = [
                    tuple(_stable_card(v) if i == idx else v for i, v in enumerate(r)) for r in rows
                ]
            out[table] = sorted(rows, key=repr)
    return out


def _stable_card(text: str) -> str:
    card = json.loads(text)
    for key in VOLATILE:
        card.pop(key, None)
    return json.dumps(card, sort_keys=True, ensure_ascii=False)


# ---------------------------------------------------------------- tests


def test_cluster_gives_the_same_database_as_the_local_batch(scheduler: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    make_calls(inbox, 4, duration=95.0)
    write_call(
        inbox,
        "abusive.wav",
        say="你就是个老赖，后果自负",
        flags=[{"category": "abuse", "severity": "critical", "evidence": "你就是个老赖"}],
    )
    write_call(inbox, "quiet.wav", flags=[{"category": "long_silence", "severity": "minor"}])
    (inbox / "broken.wav").write_bytes(b"CORRUPT \x00")
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "file,call_start,agent_id,debtor_id,campaign\nabusive.wav,2025-03-01 22:15,A7,D1,s\n",
        encoding="utf-8",
    )
    local = run_batch([inbox], tmp_path / "local.db", workers=2, factory=make_fake, metadata=meta)
    dist = run_on(scheduler, inbox, tmp_path / "dask.db", metadata=meta)
    for s in (local, dist):
        assert (s.found, s.scored, s.failed, s.flagged) == (7, 6, 1, 2)
    assert dist.audio_s == pytest.approx(local.audio_s)
    assert table_dump(tmp_path / "dask.db") == table_dump(tmp_path / "local.db")
    (options,) = db_rows(tmp_path / "dask.db", "SELECT options FROM runs")[0]
    assert json.loads(options)["cluster"] == scheduler
    # Resume is the same too: a second run on the cluster skips everything.
    again = run_on(scheduler, inbox, tmp_path / "dask.db")
    assert (again.scored, again.skipped, again.to_audit) == (0, 7, 0)


def test_a_worker_killed_mid_run_loses_only_its_call(scheduler: str, tmp_path: Path) -> None:
    inbox, log = tmp_path / "in", tmp_path / "audit.log"
    calls = make_calls(inbox, 4)
    marker = tmp_path / "crashed.marker"
    victim = inbox / "victim.wav"
    victim.write_bytes(b"CRASHONCE" + json.dumps({"marker": str(marker)}).encode())
    db = tmp_path / "c.db"
    summary = run_on(scheduler, inbox, db, factory=functools.partial(make_crash_once, log=str(log)))
    assert marker.exists()  # a worker really died on it
    assert (summary.scored, summary.failed) == (5, 0)
    assert db_rows(db, "SELECT COUNT(*), SUM(status = 'ok') FROM calls") == [(5, 5)]
    seen = audited(log)
    assert seen.count(str(victim)) == 2  # retried once after its worker died
    assert sorted(p for p in seen if p != str(victim)) == sorted(map(str, calls))  # once each


def test_a_call_that_fails_on_every_retry_is_recorded_failed(
    scheduler: str, tmp_path: Path
) -> None:
    inbox, log = tmp_path / "in", tmp_path / "audit.log"
    make_calls(inbox, 2)
    (inbox / "raises.wav").write_bytes(b"RAISE")
    db = tmp_path / "c.db"
    summary = run_on(scheduler, inbox, db, factory=functools.partial(make_fake, log=str(log)))
    assert (summary.scored, summary.failed) == (2, 1)
    (error,) = db_rows(db, "SELECT error FROM calls WHERE path LIKE '%raises.wav'")[0]
    assert "on all 3 attempts" in error and "fake decoder exploded" in error
    assert audited(log).count(str(inbox / "raises.wav")) == 3  # retries=2


def test_a_file_that_kills_every_worker_is_recorded_failed(scheduler: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "crash.wav").write_bytes(b"CRASH")
    db = tmp_path / "c.db"
    summary = run_on(scheduler, inbox, db)
    assert (summary.scored, summary.failed, summary.interrupted) == (0, 1, False)
    (status, error) = db_rows(db, "SELECT status, error FROM calls")[0]
    assert status == "failed" and "died on this file" in error


def test_a_path_the_workers_cannot_open_fails_with_a_clear_reason(
    scheduler: str, tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    make_calls(inbox, 2)
    gone = write_call(inbox, "gone.wav")

    def vanish(total: int) -> None:  # after hashing, before the workers read it
        gone.unlink()

    db = tmp_path / "c.db"
    summary = run_on(scheduler, inbox, db, on_start=vanish)
    assert (summary.scored, summary.failed) == (2, 1)
    (error,) = db_rows(db, "SELECT error FROM calls WHERE status = 'failed'")[0]
    assert f"cannot open {gone} (No such file or directory)" in error
    assert "every worker" in error and error.startswith("Worker ")


def test_fsspec_urls_are_read_by_the_workers(scheduler: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    make_calls(inbox, 2)
    url = "file://" + str(inbox)
    db = tmp_path / "c.db"
    summary = run_batch([url], db, factory=make_fake, executor=DaskExecutor(scheduler))
    assert (summary.found, summary.scored) == (2, 2)
    paths = sorted(p for (p,) in db_rows(db, "SELECT path FROM calls"))
    assert paths == [f"{url}/call_000.wav", f"{url}/call_001.wav"]
    (card,) = db_rows(db, "SELECT scorecard FROM calls LIMIT 1")[0]
    assert json.loads(card)["file"].startswith("file://")
    with pytest.raises(BatchError, match="add --cluster"):  # the local pool reads paths only
        run_batch([url], tmp_path / "l.db", factory=make_fake)


def test_cluster_option_errors_are_one_sentence(tmp_path: Path) -> None:
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("10.0.0.5:8786") == ("tcp://10.0.0.5:8786", None)
    make_calls(tmp_path / "in", 1)
    runner = CliRunner()
    res = runner.invoke(
        cli, ["run", str(tmp_path / "in"), "--db", str(tmp_path / "c.db"), "--cluster", "local:x"]
    )
    assert res.exit_code == 1 and "give local:N" in res.output
    with pytest.raises(BatchError, match="Cannot reach the Dask scheduler"):
        run_batch(
            [tmp_path / "in"],
            tmp_path / "c.db",
            factory=make_fake,
            executor=DaskExecutor("tcp://127.0.0.1:9", connect_timeout_s=2),
        )


def test_a_dask_worker_is_set_up_like_a_pool_worker(scheduler: str) -> None:
    """The module's cluster has 2 workers on this machine; a pool of 2 workers here must get the
    same thread pools and variables (one owner, ``worker_setup``), even though the pool worker
    imported numpy before it was set up."""
    from auditor.batch.pool import LocalPool
    from auditor.batch.worker_setup import worker_setup

    dask_exec = DaskExecutor(scheduler)
    try:
        dask_exec.start(make_probe)
        on_dask = dask_exec.identity()[0]
    finally:
        dask_exec.close()
    local = LocalPool(2)
    try:
        local.start(make_probe)
        on_pool = local.identity()[0]
    finally:
        local.close()
    threads = str(worker_setup(2).threads)
    # Which native pools are loaded depends on what each process imported (a Dask worker has
    # OpenMP loaded already); every one of them must be sized alike, numpy's OpenBLAS included.
    for seen in (on_pool, on_dask):
        sizes = [item.split("=") for item in seen.split()]
        assert "openblas" in {name for name, _ in sizes}, seen
        assert {size for _, size in sizes} == {threads}, seen


def test_cli_run_with_a_local_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "build_auditor", fake_build_auditor)
    monkeypatch.setenv("FAKE_AUDIT_LOG", str(tmp_path / "audit.log"))
    inbox = tmp_path / "in"
    make_calls(inbox, 3)
    db = tmp_path / "c.db"
    res = CliRunner().invoke(cli, ["run", str(inbox), "--db", str(db), "--cluster", "local:2"])
    assert res.exit_code == 0, res.output
    assert "on the Dask cluster local:2 (2 worker(s))" in res.stderr
    assert "scored 3, failed 0" in res.stdout
    assert len(audited(tmp_path / "audit.log")) == 3
    (options,) = db_rows(db, "SELECT options FROM runs")[0]
    assert json.loads(options)["workers"] == 2


def test_without_cluster_dask_is_never_imported(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 2)
    script = textwrap.dedent(
        f"""
        import sys
        import auditor.batch.executor, auditor.batch.run, auditor.cli.main
        assert "distributed" not in sys.modules and "dask" not in sys.modules
        from click.testing import CliRunner
        from tests.helpers import fake_build_auditor
        auditor.batch.executor.build_auditor = fake_build_auditor
        res = CliRunner().invoke(auditor.cli.main.cli, ["run", {str(tmp_path / "in")!r},
                                 "--db", {str(tmp_path / "c.db")!r}, "--workers", "1"])
        assert res.exit_code == 0, res.output
        assert "scored 2" in res.stdout, res.stdout
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
        assert not leaked, leaked
        print("clean")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("clean")


@pytest.mark.e2e
def test_a_real_call_scores_the_same_on_local_1_as_in_the_local_batch(tmp_path: Path) -> None:
    """The shortest sample call, audited with the real model by ``auditor run --workers 1`` and
    by ``auditor run --cluster local:1``: the same utterances, flags and score (one owner sets
    both workers up: 1 worker of all the cores' threads each)."""
    samples = REPO / "samples" / "calls"
    call = samples / "voicemail_mono_8k.flac"
    if not call.exists():
        pytest.skip("samples/calls/voicemail_mono_8k.flac is missing (make samples)")
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / call.name).symlink_to(call)
    stored = {}
    for how, args in (("local", ["--workers", "1"]), ("dask", ["--cluster", "local:1"])):
        db = tmp_path / f"{how}.db"
        res = CliRunner().invoke(cli, ["run", str(inbox), "--db", str(db), *args])
        assert res.exit_code == 0, res.output
        assert "scored 1, failed 0" in res.stdout, res.output
        stored[how] = {
            "call": db_rows(db, "SELECT status, score, passed, duration_s FROM calls"),
            "utterances": db_rows(
                db, "SELECT idx, speaker, start, end, text FROM utterances ORDER BY idx"
            ),
            "flags": db_rows(db, "SELECT idx, category, rule, start FROM flags ORDER BY idx"),
        }
    assert stored["local"]["utterances"], "the call should have been heard"
    assert stored["dask"] == stored["local"]
