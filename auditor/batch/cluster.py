"""The nightly batch on a Dask cluster: ``auditor run PATH... --db FILE --cluster ADDRESS``.

``DaskExecutor`` is the batch's other executor (``auditor.batch.pool.LocalPool`` is the first):
``run_batch`` still finds the recordings, hashes them, skips what is done and is the ONLY
writer of the SQLite database; this module only gets calls audited somewhere else.

Why it is built this way:

* **An existing engine, not a home-made one.** ``dask.distributed`` already schedules tasks
  over many machines, notices dead workers and reschedules their work, and retries tasks
  that raise. ``ADDRESS`` is a running scheduler (``tcp://host:8786``) or ``local:N``, a
  ``LocalCluster`` of N worker processes with one thread each, for one big machine.
* **The model is loaded once per worker process.** Each task carries a small picklable
  ``_Job`` (the auditor factory and a key for it); the worker keeps the auditor it built in a
  per-process cache under that key, so the first call on a worker loads the model and every
  later call reuses it. A batch starts with one warm-up task per worker that builds the
  auditor while the client hashes files, and reports the model and rules version (the batch
  refuses to start if workers disagree: a node with stale rule packs would give different
  scorecards for the same call).
* **Workers read the recordings themselves.** Only paths travel to workers and only
  scorecards travel back. Paths must be visible on every worker (a shared mount at the same
  place), or fsspec URLs (``s3://bucket/calls/``, ``file:///mnt/calls``), which a worker copies
  to a local temporary file before decoding. A path a worker cannot open raises
  ``RecordingUnavailable`` (retried: a mount may be flaky) and is finally recorded as failed
  with a sentence that names the worker and the path.
* **Results are written as they arrive** (``distributed.as_completed``). A worker process
  that dies loses only the calls it holds; the scheduler gives them to another worker.
  A call that kills a worker more than ``distributed.scheduler.allowed-failures`` times
  (default 3) fails with ``KilledWorker``, and a call whose task raises on every attempt
  (``retries``, default 2) fails with its exception; both are recorded as failed calls
  with the reason, and the batch goes on.
* **CPU threads.** A worker with ``--nthreads 1`` runs one call at a time; the model inside
  uses the cores of its machine divided by the worker processes there (counted from the
  scheduler when the batch starts), or ``AUDITOR_CPU_THREADS`` if set on the worker. How a
  worker is sized and set up is ``auditor.batch.worker_setup``'s, the same as for the local pool.

* **As fast as the local batch.** A Dask nanny starts workers with
  ``MALLOC_TRIM_THRESHOLD_=65536``, which made the auditor 20-40% slower per call (every array
  over 128 KB mapped and unmapped again); ``worker_setup.prepare_process`` puts glibc's
  thresholds back in each worker. ``local:N`` workers also start without that variable and
  without Dask's sampling profiler. Measured on 2 cores: ``local:2`` within about 10% of the
  local batch (``bench/bench_cluster.py``).

Nothing here is imported unless ``--cluster`` is given; ``distributed`` itself is imported
only inside functions, so ``import auditor.batch.cluster`` stays cheap.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.batch import executor
from auditor.batch.executor import AuditorLike, Item, WorkerInfo, audit_call, peak_rss_mb
from auditor.batch.files import BatchError, is_url
from auditor.batch.worker_setup import WorkerSetup, prepare_process, worker_setup
from auditor.core.errors import AuditorError
from auditor.core.scorecard import failed_scorecard

DEFAULT_RETRIES = 2
CONNECT_TIMEOUT_S = 30.0
# For local:N workers. None unsets a variable Dask would set: its MALLOC_TRIM_THRESHOLD_=65536
# also fixes glibc's mmap threshold, so every array over 128 KB is mapped and unmapped again.
LOCAL_WORKER_ENV: dict[str, Any] = {"MALLOC_TRIM_THRESHOLD_": None}
# The worker's sampling profiler (every 10 ms) only feeds the dashboard.
LOCAL_WORKER_CONFIG: dict[str, Any] = {"distributed.worker.profile.enabled": False}


class RecordingUnavailable(AuditorError, OSError):
    """A worker cannot open a recording (not on a shared mount, unreadable URL...)."""


class AuditorUnavailable(AuditorError, RuntimeError):
    """A worker cannot build the auditor (model missing on that machine...)."""


class ClusterLost(KeyboardInterrupt):
    """The scheduler went away mid-batch: stop like Ctrl-C (what was written is whole and the
    next run resumes)."""


# ---------------------------------------------------------------- worker side


@dataclass(frozen=True)
class _Job:
    """What every task carries: how to build the auditor, and how many CPU threads it gets.

    ``key`` identifies the factory (model dir, rules, settings): a worker rebuilds its
    auditor only when the key changes, e.g. between two batches with different rule packs.
    ``sized``: the factory is the executor's own (``build_auditor``), called with the worker's
    CPU ``threads``; any other factory is called without arguments.
    """

    key: str
    factory: Callable[..., AuditorLike]
    workers_per_host: dict[str, int] = field(default_factory=dict)
    sized: bool = False


_CACHE: dict[str, AuditorLike] = {}
_CACHE_LOCK = threading.Lock()
# One call at a time per process: the auditor is not shared between threads. Workers should run
# with --nthreads 1; a worker with more threads then simply runs its calls one after another.
_AUDIT_LOCK = threading.Lock()


def _worker_host() -> str:
    """The host of the Dask worker running this task (as the scheduler names it)."""
    try:
        from distributed import get_worker
        from distributed.comm import get_address_host

        return str(get_address_host(get_worker().address))
    except (ImportError, ValueError):
        return socket.gethostname()


def _setup(job: _Job) -> WorkerSetup:
    """This worker's setup: its machine's cores / the worker processes the scheduler counted
    there (one per core if it counted none under this host's name)."""
    return worker_setup(job.workers_per_host.get(_worker_host()))


def _auditor_for(job: _Job) -> AuditorLike:
    """This process's auditor for ``job``: built on first use, then reused (one per process)."""
    with _CACHE_LOCK:
        auditor = _CACHE.get(job.key)
        if auditor is None:
            _CACHE.clear()  # a different model or rules: drop the old one before loading
            setup = _setup(job)
            prepare_process(setup)  # thread pools, and the malloc setting a nanny gave it
            try:
                auditor = job.factory(threads=setup.threads) if job.sized else job.factory()
            except Exception as exc:
                raise AuditorUnavailable(
                    f"The auditor could not be built on worker {socket.gethostname()} "
                    f"({type(exc).__name__}: {exc})"
                ) from None
            _CACHE[job.key] = auditor
        return auditor


def _identity_remote(job: _Job) -> tuple[str, str, int, float, str]:
    """Warm-up task: build the auditor; return model, rules version, pid, peak RSS, host."""
    auditor = _auditor_for(job)
    return (
        str(auditor.model_name),
        str(auditor.rules_version),
        os.getpid(),
        peak_rss_mb(),
        socket.gethostname(),
    )


@contextlib.contextmanager
def _local_copy(path: str) -> Iterator[str]:
    """A local path to decode: the path itself (checked readable) or a temporary copy of a URL.

    Raises ``RecordingUnavailable`` with a sentence naming this worker and the path.
    """
    host = socket.gethostname()
    if not is_url(path):
        try:
            with open(path, "rb") as f:
                f.read(1)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise RecordingUnavailable(
                f"Worker {host} cannot open {path} ({reason}); recordings must be on a path "
                "every worker sees (a shared mount at the same place) or an fsspec URL."
            ) from None
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix="auditor-", suffix=Path(path.split("?")[0]).suffix)
    try:
        try:
            import fsspec

            with os.fdopen(fd, "wb") as out, fsspec.open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
        except Exception as exc:  # fsspec back-ends raise many kinds
            raise RecordingUnavailable(
                f"Worker {host} cannot read {path} ({type(exc).__name__}: {exc}); check the "
                "URL and that every worker has the storage credentials."
            ) from None
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _audit_remote(
    job: _Job, path: str, call_id: str, call_start: str | None = None
) -> tuple[dict[str, Any], float, int, float, str, str]:
    """Task: audit one recording on a worker; (card, seconds, pid, peak RSS, model, rules).

    Bad audio comes back as a failed scorecard (not retried: it would fail again); an
    unreadable path or a crash in the auditor raises, so Dask retries the call.
    """
    start = time.perf_counter()
    auditor = _auditor_for(job)
    with _local_copy(path) as local, _AUDIT_LOCK:
        card = audit_call(auditor, local, call_id, call_start)
        if local != path:  # a URL: the card speaks of the URL, not of the temporary copy
            card["file"] = path
            if isinstance(card.get("error"), str):
                card["error"] = card["error"].replace(local, path)
    return (
        card,
        time.perf_counter() - start,
        os.getpid(),
        peak_rss_mb(),
        str(auditor.model_name),
        str(auditor.rules_version),
    )


# ---------------------------------------------------------------- client side


def parse_cluster(address: str) -> tuple[str, int | None]:
    """``local:N`` -> ("local", N); a scheduler address -> (address, None).

    Raises ``BatchError`` for ``local:`` without a positive number.
    """
    address = address.strip()
    if address.startswith("local:") or address == "local":
        n = address.partition(":")[2]
        if not n.isdigit() or int(n) < 1:
            raise BatchError(
                f"--cluster {address}: give local:N with N worker processes, e.g. local:2"
            )
        return "local", int(n)
    if "://" not in address:
        address = "tcp://" + address
    return address, None


def _failure_reason(exc: BaseException, attempts: int) -> str:
    """One sentence for a call whose task failed for good."""
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return (
            "The auditor process died on this file on every worker that tried it "
            f"({exc}); check that it is valid audio."
        )
    if isinstance(exc, RecordingUnavailable | AuditorUnavailable):
        return f"{exc} (tried {attempts} times)"
    return (
        f"The auditor failed on this file on all {attempts} attempts ({type(exc).__name__}: {exc})."
    )


def _local_config(workers: int, allowed_failures: int | None) -> dict[str, Any]:
    """The Dask settings a ``local:N`` cluster is started with.

    Worker processes start with the local pool's environment (``worker_setup``: BLAS threads =
    cores / workers) and glibc's own malloc tuning (see ``LOCAL_WORKER_ENV``).
    """
    import dask

    config: dict[str, Any] = {
        "distributed.nanny.pre-spawn-environ": {
            **dask.config.get("distributed.nanny.pre-spawn-environ", {}),
            **worker_setup(workers).environ(),
            **LOCAL_WORKER_ENV,
        },
        **LOCAL_WORKER_CONFIG,
    }
    if allowed_failures is not None:
        config["distributed.scheduler.allowed-failures"] = allowed_failures
    return config


class DaskExecutor:
    """Run the batch's calls on a Dask cluster (see the module docstring).

    ``address``: ``tcp://SCHEDULER:8786`` or ``local:N``. ``retries``: extra attempts for a
    call whose task raises. ``allowed_failures``: for ``local:N`` only, how many worker deaths
    a call may cause before it fails (a remote scheduler has its own setting).
    """

    reads_urls = True

    def __init__(
        self,
        address: str,
        *,
        retries: int = DEFAULT_RETRIES,
        allowed_failures: int | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.address = address
        self.target, self.local_workers = parse_cluster(address)
        self.retries = max(0, int(retries))
        self.allowed_failures = allowed_failures
        self.connect_timeout_s = connect_timeout_s
        self.workers = self.local_workers or 0
        self.client: Any = None
        self.cluster: Any = None
        self.job: _Job | None = None
        self.token = uuid.uuid4().hex[:8]
        self.workers_per_host: dict[str, int] = {}
        self._warmup: list[Any] = []
        self.expected: tuple[str, str] | None = None
        self._futures: dict[Any, Item] = {}
        self._environ: dict[str, str] | None = None
        self._default_factory: Callable[..., AuditorLike] | None = None

    def default_factory(
        self, model_dir: str | None, rules_dirs: tuple[str, ...], agent_channel: int
    ) -> Callable[[], AuditorLike]:
        """``build_auditor``; each worker adds its own CPU ``threads`` when it builds it."""
        self._default_factory = functools.partial(
            executor.build_auditor,
            model_dir=model_dir,
            rules_dirs=tuple(rules_dirs),
            agent_channel=agent_channel,
        )
        return self._default_factory

    def _connect(self) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise BatchError(
                "--cluster needs dask.distributed: pip install 'call-auditor[cluster]' "
                f"(or 'dask[distributed]') ({exc})"
            ) from exc
        if self.local_workers is not None:
            n = self.local_workers
            config = _local_config(n, self.allowed_failures)
            # A nanny writes its pre-spawn variables into THIS process's environment; they are
            # put back in close(), so nothing leaks into what the process runs afterwards.
            self._environ = dict(os.environ)
            with dask.config.set(config):
                self.cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
                self.client = Client(self.cluster)
            self.client.wait_for_workers(n, timeout=self.connect_timeout_s * 2)
            return
        try:
            self.client = Client(self.target, timeout=f"{self.connect_timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise BatchError(
                f"Cannot reach the Dask scheduler at {self.target} ({exc}); start it with "
                "`dask scheduler` on that machine, or check the address and port."
            ) from exc
        try:
            self.client.wait_for_workers(1, timeout=self.connect_timeout_s)
        except (OSError, TimeoutError) as exc:
            raise BatchError(
                f"The Dask scheduler at {self.target} has no workers; start some with "
                f"`dask worker {self.target} --nthreads 1 --nworkers N`."
            ) from exc

    def start(self, factory: Callable[[], AuditorLike]) -> None:
        """Connect (or start ``local:N``), then build the auditor on every worker."""
        import cloudpickle

        self._connect()
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        self.workers = len(workers)
        per_host: dict[str, int] = {}
        for info in workers.values():
            per_host[info["host"]] = per_host.get(info["host"], 0) + 1
        self.workers_per_host = per_host
        key = hashlib.sha256(cloudpickle.dumps(factory)).hexdigest()[:16]
        sized = factory is self._default_factory
        self.job = _Job(key=key, factory=factory, workers_per_host=per_host, sized=sized)
        self._warmup = [
            self.client.submit(_identity_remote, self.job, key=f"auditor-warmup-{self.token}-{i}")
            for i in range(self.workers)
        ]

    def identity(self) -> tuple[str, str, int | None, float | None]:
        """Wait for the warm-up tasks; the model and rules version every worker agrees on."""
        from distributed import wait

        wait(self._warmup)
        seen: dict[tuple[str, str], list[str]] = {}
        first: tuple[str, str, int, float, str] | None = None
        for fut in self._warmup:
            if fut.status == "error":
                exc = fut.exception()
                raise BatchError(f"Cannot build the auditor: {exc}")
            if fut.status != "finished":
                continue
            model, rules, pid, rss, host = fut.result()
            first = first or (model, rules, pid, rss, host)
            seen.setdefault((model, rules), []).append(host)
        self._warmup = []
        if first is None:
            raise BatchError("Cannot build the auditor: the cluster lost its workers.")
        if len(seen) > 1:
            detail = "; ".join(
                f"model {m}, rules {r} on {', '.join(sorted(set(h)))}" for (m, r), h in seen.items()
            )
            raise BatchError(
                f"The workers do not run the same auditor ({detail}); install the same "
                "model and rule packs on every machine."
            )
        self.expected = (first[0], first[1])
        return first[0], first[1], first[2], first[3]

    def options(self) -> dict[str, Any]:
        """The cluster address and its workers at the start."""
        return {
            "cluster": self.address,
            "workers": self.workers,
            "workers_per_host": dict(self.workers_per_host),
            "retries": self.retries,
        }

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any], WorkerInfo]]:
        """Submit every call, then yield each as it completes (the client writes it)."""
        from distributed import as_completed

        assert self.job is not None and self.expected is not None
        expected = self.expected
        # with_results: each result is fetched as soon as it is ready, not when the loop gets
        # to it, so a worker that dies a moment later has nothing finished left to lose.
        completed = as_completed(with_results=True, raise_errors=False)
        while pending:
            item = pending.popleft()
            fut = self.client.submit(
                _audit_remote,
                self.job,
                item[0],
                item[1],
                item[3],
                key=f"audit-{item[1][:20]}-{self.token}",
                retries=self.retries,
            )
            self._futures[fut] = item
            completed.add(fut)
        lost = 0
        for fut, result in completed:
            item = self._futures.pop(fut)
            status = fut.status
            # The result is here now: let the worker drop it, so its death cannot cost it.
            fut.release()
            if status == "finished":
                card, elapsed, pid, rss, model, rules = result
                if (model, rules) != expected:
                    msg = (
                        f"A worker audited this file with model {model}, rules {rules} instead "
                        f"of {expected[0]}, rules {expected[1]}; install the same model and "
                        "rule packs on every machine."
                    )
                    card = failed_scorecard(item[0], msg, item[1])
                yield item, card, (elapsed, pid, rss)
            elif status == "error":
                exc = result[1] if isinstance(result, tuple) else result
                reason = _failure_reason(exc, self.retries + 1)
                yield item, failed_scorecard(item[0], reason, item[1]), (0.0, None, None)
            else:  # cancelled: the scheduler forgot it (restarted, connection lost)
                lost += 1
        if lost:
            raise ClusterLost(f"{lost} call(s) were lost by the cluster")

    def abort(self) -> None:
        """Cancel every call not yet finished, then disconnect."""
        if self.client is not None and self._futures:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self._futures), force=True)
        self._futures.clear()
        self.close()

    def close(self) -> None:
        """Disconnect, and stop a ``local:N`` cluster."""
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        if self._environ is not None:
            os.environ.clear()
            os.environ.update(self._environ)
            self._environ = None
