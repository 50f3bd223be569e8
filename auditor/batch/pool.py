"""The local executor: a pool of worker processes on this machine, each with its own auditor.

Why: Whisper inference is CPU-bound and holds the GIL in places, so calls run in processes;
each builds its auditor ONCE in the pool initializer (loading the model costs 1-2 s; per call it
would dominate short calls). CPU threads per worker, and the thread pools of its libraries,
come from ``auditor.batch.worker_setup``, as for a Dask worker. A worker that dies on a file (a
crash in native code) costs only that file: the pool is rebuilt and the suspects are retried alone.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from auditor.batch import executor
from auditor.batch.executor import AuditorLike, Item, WorkerInfo, audit_call, peak_rss_mb
from auditor.batch.files import BatchError
from auditor.batch.worker_setup import WorkerSetup, prepare_process, worker_setup
from auditor.core.scorecard import failed_scorecard

# ---------------------------------------------------------------- worker side

_AUDITOR: AuditorLike | None = None
_INIT_ERROR: str | None = None


def _die_with_parent() -> None:
    """Ask Linux to end this worker if the batch process dies (e.g. SIGKILL), best effort."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return


def _init_worker(
    factory: Callable[[], AuditorLike], setup: WorkerSetup,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Pool initializer: ignore Ctrl-C (the parent handles it), set the worker up as
    ``worker_setup`` says (as a Dask worker is), build the auditor.

    ``environ`` is the parent's environment when the pool starts: a forkserver was started
    once, earlier, and would otherwise hand workers its older environment.
    """
    global _AUDITOR, _INIT_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    prepare_process(setup)
    try:
        _AUDITOR = factory()
    except Exception as exc:  # reported by _identity, so the parent shows one clear message
        _INIT_ERROR = f"{type(exc).__name__}: {exc}"


def _identity() -> tuple[str, str, int, float]:
    """Model name, rules version, pid and peak RSS of a worker's auditor."""
    if _AUDITOR is None:
        raise RuntimeError(_INIT_ERROR or "the auditor was not built")
    return str(_AUDITOR.model_name), str(_AUDITOR.rules_version), os.getpid(), peak_rss_mb()


def _audit_task(path: str, call_id: str, call_start: str | None = None
                ) -> tuple[dict[str, Any], float, int, float]:
    """Audit one file in a worker: (scorecard, seconds, pid, peak RSS MB). Never raises."""
    start = time.perf_counter()
    if _AUDITOR is None:
        card = failed_scorecard(path, f"The auditor could not be built: {_INIT_ERROR}", call_id)
    else:
        try:
            card = audit_call(_AUDITOR, path, call_id, call_start)
        except Exception as exc:
            card = failed_scorecard(
                path, f"The auditor crashed on this file ({type(exc).__name__}: {exc}).", call_id
            )
    return card, time.perf_counter() - start, os.getpid(), peak_rss_mb()


# ---------------------------------------------------------------- parent side


WARM_MODULE = "auditor.batch.warm"
# From how many workers the shared warm-up pays. Measured (samples/calls, 22 calls, 2 workers
# on 2 cores, CPU of the whole process tree): 217.4 CPU s with it against 218.0 without; the
# forkserver spent 8.4 s so that each worker spent about 4.3 s less. So at 2 workers it saves
# nothing and makes the workers wait for the forkserver before their own start-up (about 2 s of
# wall time); each further worker saves its 4.3 s.
WARM_MIN_WORKERS = 3
_REAL_BUILD = executor.build_auditor  # as defined, even where a test patches a fake in


def _pool_context(warm: bool = False) -> Any:
    """forkserver on Linux: workers start from a clean process (no inherited threads/DB).

    With `warm`, the forkserver (started once per process, on first use) first imports
    ``auditor.batch.warm``: the libraries, dictionaries and compiled kernels every worker needs
    are loaded once there and inherited by each worker, instead of once per worker.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(ValueError):
            ctx = mp.get_context("forkserver")
            if warm:
                ctx.set_forkserver_preload(["__main__", WARM_MODULE])
            return ctx
    return mp.get_context()


def _builds_real_auditor(factory: Callable[[], AuditorLike]) -> bool:
    """Whether `factory` builds the real auditor (worth warming for; a test's fake is not)."""
    return getattr(factory, "func", factory) is _REAL_BUILD


def _worth_warming(workers: int, factory: Callable[[], AuditorLike]) -> bool:
    """Whether the workers should be forked from a warmed forkserver (see WARM_MIN_WORKERS)."""
    return workers >= WARM_MIN_WORKERS and _builds_real_auditor(factory)


def _start_pool(
    workers: int, factory: Callable[[], AuditorLike], setup: WorkerSetup
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(warm=_worth_warming(workers, factory)),
        initializer=_init_worker,
        initargs=(factory, setup, dict(os.environ)),
    )


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued work and terminate workers mid-file."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


class LocalPool:
    """Worker processes on this machine (``ProcessPoolExecutor``), the default executor."""

    reads_urls = False

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
        self.setup = worker_setup(self.workers)
        self.threads = self.setup.threads
        self.pool: ProcessPoolExecutor | None = None
        self.factory: Callable[[], AuditorLike] | None = None
        self._ident: Future[tuple[str, str, int, float]] | None = None

    def default_factory(
        self, model_dir: str | None, rules_dirs: tuple[str, ...], agent_channel: int
    ) -> Callable[[], AuditorLike]:
        """``build_auditor`` with the workers' CPU threads (``worker_setup``)."""
        return functools.partial(
            executor.build_auditor,
            model_dir=model_dir,
            rules_dirs=tuple(rules_dirs),
            agent_channel=agent_channel,
            threads=self.threads,
        )

    def start(self, factory: Callable[[], AuditorLike]) -> None:
        """Start the pool; workers load their models while the parent hashes the files."""
        self.factory = factory
        self.pool = _start_pool(self.workers, factory, self.setup)
        self._ident = self.pool.submit(_identity)

    def identity(self) -> tuple[str, str, int | None, float | None]:
        """The first worker's model and rules version (waits for its model to load)."""
        assert self._ident is not None
        try:
            return self._ident.result()
        except (RuntimeError, BrokenProcessPool) as exc:
            raise BatchError(f"Cannot build the auditor: {exc}") from exc

    def options(self) -> dict[str, Any]:
        """Workers and CPU threads per worker."""
        return {"workers": self.workers, "threads_per_worker": self.threads}

    def abort(self) -> None:
        """Cancel queued work and terminate the workers mid-file."""
        if self.pool is not None:
            _kill_pool(self.pool)
            self.pool = None

    def close(self) -> None:
        """Wait for the pool to wind down."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any], WorkerInfo]]:
        """Keep at most 2 calls per worker in flight and yield each result as it arrives.

        If a worker process dies (a crash in native code), every call that was in flight
        becomes a suspect: the pool is rebuilt and each suspect is retried ALONE, so a call that
        crashes a worker on its own is recorded as failed and the innocent ones are audited
        normally.
        """
        assert self.pool is not None and self.factory is not None
        in_flight: dict[Future[Any], Item] = {}
        suspects: deque[Item] = deque()
        solo: Future[Any] | None = None
        window = 2 * self.workers
        while pending or suspects or in_flight:
            if suspects:
                if not in_flight:
                    item = suspects.popleft()
                    solo = self.pool.submit(_audit_task, item[0], item[1], item[3])
                    in_flight[solo] = item
            else:
                while pending and len(in_flight) < window:
                    item = pending.popleft()
                    in_flight[self.pool.submit(_audit_task, item[0], item[1], item[3])] = item
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                item = in_flight.pop(fut)
                try:
                    card, elapsed, pid, rss = fut.result()
                except BrokenProcessPool:
                    broken = True
                    if fut is solo:
                        msg = (
                            "The auditor process crashed on this file; "
                            "check that it is valid audio."
                        )
                        yield item, failed_scorecard(item[0], msg, item[1]), (0.0, None, None)
                    else:
                        suspects.append(item)
                    continue
                except Exception as exc:  # e.g. a result that cannot be pickled
                    card = failed_scorecard(
                        item[0], f"The auditor failed on this file ({exc}).", item[1]
                    )
                    elapsed, pid, rss = 0.0, None, None
                yield item, card, (elapsed, pid, rss)
            if broken:
                suspects.extend(in_flight.values())
                in_flight.clear()
                solo = None
                _kill_pool(self.pool)
                self.pool = _start_pool(self.workers, self.factory, self.setup)
