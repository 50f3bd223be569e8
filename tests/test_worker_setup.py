"""How a batch worker is sized and set up comes from one owner (``auditor.batch.worker_setup``),
for the local pool and for the Dask workers alike (a call must score the same wherever it runs)."""

from __future__ import annotations

import pytest

from auditor.batch import cluster, pool
from auditor.batch.worker_setup import (
    BLAS_THREAD_VARS,
    CPU_THREADS_VAR,
    WorkerSetup,
    worker_setup,
)


def test_threads_are_the_cores_shared_by_the_workers_of_a_machine() -> None:
    none: dict[str, str] = {}
    assert worker_setup(2, cores=2, environ=none) == WorkerSetup(threads=1)
    assert worker_setup(1, cores=2, environ=none) == WorkerSetup(threads=2)
    assert worker_setup(3, cores=8, environ=none) == WorkerSetup(threads=2)
    assert worker_setup(4, cores=2, environ=none) == WorkerSetup(threads=1)  # never 0
    assert worker_setup(None, cores=8, environ=none) == WorkerSetup(threads=1)  # not counted


def test_auditor_cpu_threads_wins_when_it_is_a_positive_number() -> None:
    assert worker_setup(2, cores=8, environ={CPU_THREADS_VAR: "3"}).threads == 3
    for bad in ("0", "-2", "two", ""):
        assert worker_setup(2, cores=8, environ={CPU_THREADS_VAR: bad}).threads == 4


def test_the_environment_sizes_every_blas_pool_like_the_model() -> None:
    assert WorkerSetup(threads=3).environ() == {var: "3" for var in BLAS_THREAD_VARS}


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_the_pool_and_a_dask_worker_get_the_same_setup(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same machine, same number of workers: the local pool and a Dask worker (counted by the
    scheduler under its host) get the one owner's setup, model threads included."""
    monkeypatch.delenv(CPU_THREADS_VAR, raising=False)
    expected = worker_setup(workers)
    local = pool.LocalPool(workers)
    assert local.setup == expected
    assert local.default_factory(None, (), 0).keywords["threads"] == expected.threads
    monkeypatch.setattr(cluster, "_worker_host", lambda: "node-a")
    job = cluster._Job(key="k", factory=lambda: None, workers_per_host={"node-a": workers})
    assert cluster._setup(job) == expected
    pytest.importorskip("distributed")
    spawned = cluster._local_config(workers, None)["distributed.nanny.pre-spawn-environ"]
    assert {var: spawned[var] for var in BLAS_THREAD_VARS} == expected.environ()
