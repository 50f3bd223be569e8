"""How a batch worker process is sized and set up: one owner for the local pool and Dask workers.

Why one owner: a call must be audited the same way wherever it runs (QA compares nights, and a
rescore must not move flags), so a worker of the local pool (``auditor.batch.pool``) and a Dask
worker (``auditor.batch.cluster``) get their CPU threads and their process settings from here.
Before, each path did it its own way: the pool counted ``os.cpu_count()`` and the Dask path the
CPU affinity; the pool set the BLAS thread variables inside the worker *after* numpy was
already imported (so OpenBLAS kept one thread per core there, whatever the variable said),
while Dask's nanny set them before the process started.

What a worker gets:

* ``threads``: the cores of its machine (CPU affinity respected) divided by the worker
  processes there, at least 1, or ``AUDITOR_CPU_THREADS`` when that is a positive integer. They
  are the Whisper model's CPU threads and the size of every BLAS/OpenMP pool of the process.
* ``prepare_process`` caps the BLAS/OpenMP pools both ways: the variables, for libraries loaded
  later, and ``threadpoolctl`` for those already loaded, so the result does not depend on what
  the process imported before. It also undoes the ``MALLOC_TRIM_THRESHOLD_`` a Dask nanny
  starts its workers with (see ``tune_malloc``), wherever a worker was started with it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

CPU_THREADS_VAR = "AUDITOR_CPU_THREADS"
BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class WorkerSetup:
    """What one worker process is given: its CPU threads (model and BLAS alike)."""

    threads: int

    def environ(self) -> dict[str, str]:
        """The variables a worker process starts with (the BLAS/OpenMP thread counts)."""
        return {var: str(self.threads) for var in BLAS_THREAD_VARS}


def _cores() -> int:
    """Cores this process may use (imported late: ``auditor.asr.model`` loads faster-whisper)."""
    from auditor.asr.model import available_cores

    return available_cores()


def worker_setup(
    workers_on_host: int | None, cores: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> WorkerSetup:
    """The setup of each of ``workers_on_host`` worker processes sharing one machine.

    ``workers_on_host`` None (not known) counts one worker per core. ``cores`` defaults to
    this process's available cores; ``environ`` (default ``os.environ``) may hold
    ``AUDITOR_CPU_THREADS``, which then wins.
    """
    env = os.environ if environ is None else environ
    forced = env.get(CPU_THREADS_VAR, "").strip()
    if forced.isdigit() and int(forced) > 0:
        return WorkerSetup(threads=int(forced))
    total = _cores() if cores is None else cores
    workers = total if workers_on_host is None else workers_on_host
    return WorkerSetup(threads=max(1, total // max(1, workers)))


def prepare_process(setup: WorkerSetup) -> None:
    """In a worker, before the auditor is built: size its BLAS/OpenMP thread pools, tune malloc.

    The variables reach libraries not loaded yet; ``threadpoolctl`` resizes the pools of those
    already loaded (numpy's OpenBLAS is, whenever the worker's start imported numpy).
    """
    from threadpoolctl import threadpool_limits

    os.environ.update(setup.environ())
    threadpool_limits(limits=setup.threads)  # called, not entered: the limits stay
    tune_malloc()


def tune_malloc() -> None:
    """Undo the malloc setting a Dask nanny gives its workers, which slows the auditor down.

    Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting it at all freezes
    glibc's mmap threshold at 128 KB, so every audio or feature array above that is mapped and
    unmapped again on each call (page faults; measured 20-40% slower on the sample calls).
    Setting the thresholds where glibc's own adaptation ends up (mmap 32 MB, trim 64 MB)
    restores the speed of a plain process. Linux/glibc only; a no-op elsewhere or without it.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
        libc.mallopt(m_trim_threshold, 64 * 1024 * 1024)
    except (OSError, AttributeError):
        return
