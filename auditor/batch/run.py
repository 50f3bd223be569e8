"""The nightly batch: audit every recording under some folders into one SQLite store.

Why it is built this way:

* **Worker processes, model loaded once each.** Whisper inference is CPU-bound and holds the
  GIL in places, so calls run in a pool of processes; each builds its auditor ONCE in the pool
  initializer (loading the model costs 1-2 s; per call it would dominate short calls). CPU
  threads per worker are the machine's cores divided by the workers.
* **Single writer.** Workers only compute scorecards; the parent writes each one to SQLite as it
  arrives, one transaction per call. No write contention, and a kill at any moment leaves the
  database with whole calls only.
* **Resumable and idempotent.** A call's id is the sha256 of its bytes. Calls already audited
  with the same model and rules version are skipped (a renamed file is the same call), so a
  rerun after a crash picks up where it stopped and a rerun of a finished batch does nothing.
  ``reprocess=True`` audits everything again.
* **A broken file never stops the batch.** The auditor returns ``status: failed`` for bad audio;
  an exception in a worker, or a worker process dying on a file, is recorded the same way.
* **Injectable auditor.** ``factory`` is a picklable top-level callable returning an object
  with ``.audit(path)``, ``.model_name`` and ``.rules_version``; tests pass a fake one so they
  never load the model.
* **Executors.** Where calls run is an ``Executor``: ``LocalPool`` (worker processes on this
  machine, the default) or ``auditor.batch.cluster.DaskExecutor`` (a Dask cluster). Finding,
  hashing, skipping, resuming and writing are the same for both, here in ``run_batch``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from auditor.audio.decode import AUDIO_EXTENSIONS
from auditor.batch import metadata as md
from auditor.core.errors import AuditorError
from auditor.core.scorecard import failed_scorecard
from auditor.store.db import Store


class AuditorLike(Protocol):
    """What the batch needs from an auditor (``auditor.pipeline.Auditor`` or a fake)."""

    model_name: str
    rules_version: str

    def audit(self, path: str) -> dict[str, Any]:
        """Audit one recording and return its scorecard (never raises for bad audio)."""
        ...


class BatchError(AuditorError):
    """The batch cannot start; the message says what to fix."""


def build_auditor(
    model_dir: str | None = None,
    rules_dirs: Iterable[str] = (),
    agent_channel: int = 0,
    cpu_threads: int = 0,
) -> AuditorLike:
    """Build the real auditor (loads the Whisper model). Top-level so a pool can pickle it."""
    from auditor.pipeline import Auditor

    kwargs: dict[str, Any] = {
        "model_dir": model_dir,
        "rules_dirs": tuple(rules_dirs),
        "agent_channel": agent_channel,
    }
    params = inspect.signature(Auditor).parameters
    for name in ("threads", "cpu_threads"):
        if cpu_threads and name in params:
            kwargs[name] = cpu_threads
            break
    return Auditor(**kwargs)


# ---------------------------------------------------------------- finding files


def find_recordings(
    paths: Iterable[str | Path], extensions: Iterable[str] = AUDIO_EXTENSIONS
) -> list[Path]:
    """Recordings under ``paths``: folders searched recursively by extension, files as given.

    A string with ``://`` is an fsspec URL (for a cluster's workers) and comes back as a string.

    Hidden files and folders (``.something``) are skipped. Raises ``BatchError`` for a path
    that does not exist, so a typo in a cron job fails loudly instead of auditing nothing.
    """
    exts = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    found: dict[str, Any] = {}
    for raw in paths:
        if is_url(raw):  # read by a cluster's workers through fsspec (auditor.batch.cluster)
            for url in _find_urls(str(raw), exts):
                found.setdefault(url, url)
            continue
        p = Path(raw)
        if p.is_file():
            found.setdefault(str(p), p)
        elif p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith(".") and Path(name).suffix.lower() in exts:
                        f = Path(dirpath) / name
                        found.setdefault(str(f), f)
        else:
            raise BatchError(f"{p} does not exist; give a recording or a folder of recordings")
    return sorted(found.values(), key=lambda f: (0, f) if isinstance(f, Path) else (1, str(f)))


def is_url(path: str | Path) -> bool:
    """True for an fsspec URL such as ``s3://bucket/calls`` (a local ``Path`` never is)."""
    return isinstance(path, str) and "://" in path


def _find_urls(url: str, exts: set[str]) -> list[str]:
    """Recordings at an fsspec URL: a file as given, a folder searched by extension."""
    try:
        import fsspec
    except ImportError as exc:
        raise BatchError(f"{url}: reading URLs needs fsspec (pip install fsspec)") from exc
    try:
        fs, root = fsspec.core.url_to_fs(url)
        if fs.isfile(root):
            return [url]
        if not fs.isdir(root):
            raise BatchError(f"{url} does not exist; give a recording or a folder of recordings")
        names = [
            f
            for f in fs.find(root)
            if Path(f).suffix.lower() in exts
            and not any(part.startswith(".") for part in f[len(root) :].split("/"))
        ]
    except (OSError, ValueError, ImportError) as exc:
        raise BatchError(f"{url} cannot be listed ({type(exc).__name__}: {exc})") from exc
    return sorted(fs.unstrip_protocol(f) for f in names)


def _open_bytes(path: str | Path) -> Any:
    """A binary file object for a local path or an fsspec URL."""
    if is_url(path):
        import fsspec

        return fsspec.open(str(path), "rb").open()
    return open(path, "rb")


def _file_size(path: str | Path) -> int:
    """Size in bytes of a local path or an fsspec URL."""
    if is_url(path):
        import fsspec

        fs, root = fsspec.core.url_to_fs(str(path))
        return int(fs.size(root))
    return Path(path).stat().st_size


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a file's bytes (the call id); ``path`` may be an fsspec URL."""
    h = hashlib.sha256()
    with _open_bytes(path) as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def failed_card(path: str, error: str, call_id: str | None = None) -> dict[str, Any]:
    """A scorecard in the spec's shape for a call that could not be audited."""
    return failed_scorecard(path, error, call_id)


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
    factory: Callable[[], AuditorLike], threads: int, environ: Mapping[str, str] | None = None
) -> None:
    """Pool initializer: ignore Ctrl-C (the parent handles it), size threads, build the auditor.

    ``environ`` is the parent's environment when the pool starts: a forkserver was started
    once, earlier, and would otherwise hand workers its older environment.
    """
    global _AUDITOR, _INIT_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if threads > 0:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))
    try:
        _AUDITOR = factory()
    except Exception as exc:  # reported by _identity, so the parent shows one clear message
        _INIT_ERROR = f"{type(exc).__name__}: {exc}"


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports KB, macOS bytes)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _identity() -> tuple[str, str, int, float]:
    """Model name, rules version, pid and peak RSS of a worker's auditor."""
    if _AUDITOR is None:
        raise RuntimeError(_INIT_ERROR or "the auditor was not built")
    return str(_AUDITOR.model_name), str(_AUDITOR.rules_version), os.getpid(), _peak_rss_mb()


def _audit_task(path: str) -> tuple[dict[str, Any], float, int, float]:
    """Audit one file in a worker: (scorecard, seconds, pid, peak RSS MB). Never raises."""
    start = time.perf_counter()
    if _AUDITOR is None:
        card = failed_card(path, f"The auditor could not be built: {_INIT_ERROR}")
    else:
        try:
            card = _AUDITOR.audit(path)
            if not isinstance(card, dict):
                raise TypeError(f"audit() returned {type(card).__name__}, not a scorecard")
        except Exception as exc:
            card = failed_card(
                path, f"The auditor crashed on this file ({type(exc).__name__}: {exc})."
            )
    return card, time.perf_counter() - start, os.getpid(), _peak_rss_mb()


# ---------------------------------------------------------------- parent side


@dataclass
class CallResult:
    """One call written by the batch (handed to the progress callback)."""

    path: str
    call_id: str
    card: dict[str, Any]
    elapsed_s: float
    worker_pid: int | None = None
    worker_rss_mb: float | None = None


@dataclass
class BatchSummary:
    """What a batch did; ``format()`` gives the line printed at the end of ``auditor run``."""

    found: int = 0
    to_audit: int = 0
    scored: int = 0
    failed: int = 0
    skipped: int = 0
    flagged: int = 0
    audio_s: float = 0.0
    wall_s: float = 0.0
    run_id: int | None = None
    interrupted: bool = False
    model: str | None = None
    rules_version: str | None = None
    worker_peak_rss_mb: dict[int, float] = field(default_factory=dict)

    @property
    def audio_hours(self) -> float:
        """Hours of audio audited in this run."""
        return self.audio_s / 3600.0

    @property
    def rtf(self) -> float | None:
        """Real-time factor: wall time (model load included) over audio audited."""
        return self.wall_s / self.audio_s if self.audio_s > 0 else None

    def counts(self) -> dict[str, Any]:
        """The counters stored on the run row."""
        return {
            "found": self.found,
            "scored": self.scored,
            "failed": self.failed,
            "skipped": self.skipped,
            "flagged": self.flagged,
            "audio_s": round(self.audio_s, 3),
        }

    def format(self) -> str:
        """One human line, e.g. ``scored 12, failed 1, ... RTF 0.05``."""
        rtf = f"{self.rtf:.3f}" if self.rtf is not None else "n/a"
        head = "Interrupted: " if self.interrupted else ""
        return (
            f"{head}scored {self.scored}, failed {self.failed}, flagged {self.flagged}, "
            f"skipped {self.skipped} (of {self.found} found) | audio {self.audio_hours:.2f} h | "
            f"wall {self.wall_s:.1f} s | real-time factor {rtf}"
        )


def _is_flagged(card: Mapping[str, Any]) -> bool:
    return any(f.get("severity") != "info" for f in card.get("flags") or [])


def _pool_context() -> Any:
    """forkserver on Linux: workers start from a clean process (no inherited threads/DB)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(ValueError):
            return mp.get_context("forkserver")
    return mp.get_context()


def _start_pool(
    workers: int, factory: Callable[[], AuditorLike], threads: int
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(),
        initializer=_init_worker,
        initargs=(factory, threads, dict(os.environ)),
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


class _Terminated(KeyboardInterrupt):
    """SIGTERM turned into the same orderly stop as Ctrl-C."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if not hasattr(signal, "SIGTERM") or mp.current_process().name != "MainProcess":
        yield
        return
    try:
        old = signal.getsignal(signal.SIGTERM)

        def handler(signum: int, frame: Any) -> None:
            raise _Terminated()

        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


# ---------------------------------------------------------------- executors

Item = tuple[str, str, int]
"""A call to audit: (path, call id, size in bytes)."""
WorkerInfo = tuple[float, int | None, float | None]
"""How a call went in its worker: (seconds, worker pid, worker peak RSS MB)."""


class Executor(Protocol):
    """Where calls are audited. ``run_batch`` finds, hashes, skips and writes; this runs.

    Call order: ``start`` (workers begin loading the model while the parent hashes files),
    ``identity``, ``results``; ``abort`` on Ctrl-C, ``close`` always.
    """

    workers: int
    reads_urls: bool

    def default_factory(
        self, model_dir: str | None, rules_dirs: tuple[str, ...], agent_channel: int
    ) -> Callable[[], AuditorLike]:
        """The factory of the real auditor, sized for this executor's workers."""
        ...

    def start(self, factory: Callable[[], AuditorLike]) -> None:
        """Start the workers; each builds its auditor once."""
        ...

    def identity(self) -> tuple[str, str, int | None, float | None]:
        """Model name, rules version, pid and peak RSS of a worker; ``BatchError`` if none."""
        ...

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any], WorkerInfo]]:
        """Audit ``pending``; yield every call once, as it finishes, with its scorecard."""
        ...

    def options(self) -> dict[str, Any]:
        """What to record on the run row about where the calls ran."""
        ...

    def abort(self) -> None:
        """Stop now (Ctrl-C): drop queued work and stop the workers."""
        ...

    def close(self) -> None:
        """Release the workers after a normal end (safe to call after ``abort``)."""
        ...


class LocalPool:
    """Worker processes on this machine (``ProcessPoolExecutor``), the default executor."""

    reads_urls = False

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
        self.threads = max(1, (os.cpu_count() or 1) // self.workers)
        self.pool: ProcessPoolExecutor | None = None
        self.factory: Callable[[], AuditorLike] | None = None
        self._ident: Future[tuple[str, str, int, float]] | None = None

    def default_factory(
        self, model_dir: str | None, rules_dirs: tuple[str, ...], agent_channel: int
    ) -> Callable[[], AuditorLike]:
        """``build_auditor`` with CPU threads = cores / workers."""
        return functools.partial(
            build_auditor,
            model_dir=model_dir,
            rules_dirs=tuple(rules_dirs),
            agent_channel=agent_channel,
            cpu_threads=self.threads,
        )

    def start(self, factory: Callable[[], AuditorLike]) -> None:
        """Start the pool; workers load their models while the parent hashes the files."""
        self.factory = factory
        self.pool = _start_pool(self.workers, factory, self.threads)
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
                    solo = self.pool.submit(_audit_task, item[0])
                    in_flight[solo] = item
            else:
                while pending and len(in_flight) < window:
                    item = pending.popleft()
                    in_flight[self.pool.submit(_audit_task, item[0])] = item
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
                        yield item, failed_card(item[0], msg, item[1]), (0.0, None, None)
                    else:
                        suspects.append(item)
                    continue
                except Exception as exc:  # e.g. a result that cannot be pickled
                    card = failed_card(
                        item[0], f"The auditor failed on this file ({exc}).", item[1]
                    )
                    elapsed, pid, rss = 0.0, None, None
                yield item, card, (elapsed, pid, rss)
            if broken:
                suspects.extend(in_flight.values())
                in_flight.clear()
                solo = None
                _kill_pool(self.pool)
                self.pool = _start_pool(self.workers, self.factory, self.threads)


# ---------------------------------------------------------------- the batch


def run_batch(
    paths: Iterable[str | Path],
    db_path: str | Path,
    *,
    workers: int = 1,
    reprocess: bool = False,
    redact: bool = False,
    metadata: str | Path | md.MetadataIndex | None = None,
    factory: Callable[[], AuditorLike] | None = None,
    model_dir: str | None = None,
    rules_dirs: Iterable[str] = (),
    agent_channel: int = 0,
    extensions: Iterable[str] = AUDIO_EXTENSIONS,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[CallResult, BatchSummary], None] | None = None,
    executor: Executor | None = None,
) -> BatchSummary:
    """Audit every recording under ``paths`` into the store at ``db_path``.

    Returns the summary; ``summary.interrupted`` is true after Ctrl-C or SIGTERM (the calls
    written so far are complete, and the next run resumes). ``on_start(n)`` is called with the
    number of calls to audit once skips are known; ``on_result`` after each call is written.
    ``executor`` says where calls run (default: ``LocalPool(workers)`` on this machine;
    ``auditor.batch.cluster.DaskExecutor`` for a Dask cluster, which ignores ``workers``).
    Raises ``BatchError`` when the batch cannot start (no such path, unreadable metadata,
    the auditor cannot be built).
    """
    t0 = time.perf_counter()
    if executor is None:
        executor = LocalPool(workers)
    files = find_recordings(paths, extensions)
    if not executor.reads_urls and any(is_url(f) for f in files):
        raise BatchError(
            "URLs (s3://..., gs://...) are read by the workers of a Dask cluster; "
            "add --cluster, or give local paths"
        )
    if isinstance(metadata, md.MetadataIndex) or metadata is None:
        meta_index = metadata
    else:
        try:
            meta_index = md.load_metadata(metadata)
        except md.MetadataError as exc:
            raise BatchError(str(exc)) from exc
    if factory is None:
        factory = executor.default_factory(model_dir, tuple(rules_dirs), agent_channel)
    summary = BatchSummary(found=len(files))
    store = Store(db_path)
    started = False
    run_id: int | None = None

    def record(item: Item, card: dict[str, Any], info: WorkerInfo) -> None:
        path, call_id, size = item
        elapsed, pid, rss = info
        ok = card.get("status") == "ok"
        audio = float(card.get("duration_s") or 0.0) if ok else 0.0
        flagged = int(_is_flagged(card))
        counts = summary.counts()
        counts.update(
            scored=summary.scored + int(ok),
            failed=summary.failed + int(not ok),
            flagged=summary.flagged + flagged,
            audio_s=round(summary.audio_s + audio, 3),
        )
        meta = meta_index.lookup(path) if meta_index is not None else None
        stored = store.save_call(
            card,
            call_id=call_id,
            path=path,
            size=size,
            model=summary.model or "",
            rules_version=summary.rules_version or "",
            run_id=run_id,
            meta=meta,
            redact=redact,
            run_counts=counts,
        )
        # Only once the call is committed do the in-memory counters move.
        summary.scored += int(ok)
        summary.failed += int(not ok)
        summary.flagged += flagged
        summary.audio_s += audio
        summary.wall_s = time.perf_counter() - t0
        if pid is not None and rss is not None:
            summary.worker_peak_rss_mb[pid] = max(rss, summary.worker_peak_rss_mb.get(pid, 0.0))
        if on_result:
            on_result(CallResult(path, call_id, stored, elapsed, pid, rss), summary)

    try:
        with _sigterm_as_interrupt():
            try:
                if not files:
                    summary.wall_s = time.perf_counter() - t0
                    return summary
                started = True
                # Workers load their models while the parent hashes the files.
                executor.start(factory)
                hashed = [(str(f), sha256_file(f), _file_size(f)) for f in files]
                model, rules_version, pid, rss = executor.identity()
                summary.model, summary.rules_version = model, rules_version
                if pid is not None and rss is not None:
                    summary.worker_peak_rss_mb[pid] = rss
                done = set() if reprocess else store.done_ids(model, rules_version)
                pending: deque[Item] = deque()
                queued: set[str] = set()
                for path, call_id, size in hashed:
                    if call_id in done or call_id in queued:
                        summary.skipped += 1
                        if call_id in done:
                            store.touch_path(call_id, path)
                        continue
                    queued.add(call_id)
                    pending.append((path, call_id, size))
                summary.to_audit = len(pending)
                options = {
                    "paths": [str(p) for p in paths],
                    **executor.options(),
                    "reprocess": reprocess,
                    "redact": redact,
                    "metadata": None if metadata is None else str(metadata),
                    "model_dir": model_dir,
                    "rules_dirs": list(rules_dirs),
                    "agent_channel": agent_channel,
                }
                run_id = summary.run_id = store.start_run(options, model, rules_version)
                store.update_run(run_id, **summary.counts())
                if on_start:
                    on_start(len(pending))
                for item, card, info in executor.results(pending):
                    card["call_id"] = item[1]
                    record(item, card, info)
            except KeyboardInterrupt:
                summary.interrupted = True
                if started:
                    started = False
                    executor.abort()
    finally:
        summary.wall_s = time.perf_counter() - t0
        if started:
            executor.close()
        if run_id is not None:
            status = "interrupted" if summary.interrupted else "completed"
            with contextlib.suppress(Exception):
                store.finish_run(run_id, status, round(summary.wall_s, 3), **summary.counts())
        store.close()
    return summary
