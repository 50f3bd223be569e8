"""The nightly batch: audit every recording under some folders into one SQLite store.

Why it is built this way:

* **Single writer.** Workers only compute scorecards; the parent finishes each one
  (``auditor.batch.enrich``: redaction, metadata, the per-day frequency rule, then ONE scoring)
  and writes it to SQLite as it arrives, one transaction per call. No write contention, and a
  kill at any moment leaves the database with whole calls only.
* **Resumable and idempotent.** A call's id is the sha256 of its bytes, computed once by the
  parent (``auditor.batch.files``) and handed to the worker. Calls already audited with the same
  model and rules version are skipped (a renamed file is the same call), so a rerun after a crash
  picks up where it stopped and a rerun of a finished batch does nothing. ``reprocess=True``
  audits everything again.
* **A broken file never stops the batch.** The auditor returns ``status: failed`` for bad audio;
  an exception in a worker, or a worker process dying on a file, is recorded the same way.
* **Injectable auditor.** ``factory`` is a picklable top-level callable returning an object
  with ``.audit(path, call_id=..., score=False[, call_start=...])``, ``.model_name`` and
  ``.rules_version``; tests pass a fake one so they never load the model.
* **Executors.** Where calls run is an ``Executor`` (``auditor.batch.executor``):
  ``auditor.batch.pool.LocalPool`` (worker processes on this machine, the default) or
  ``auditor.batch.cluster.DaskExecutor`` (a Dask cluster). Finding, hashing, skipping, resuming,
  enriching and writing are the same for both, here in ``run_batch``.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.audio.decode import AUDIO_EXTENSIONS
from auditor.batch import enrich
from auditor.batch import metadata as md
from auditor.batch.executor import AuditorLike, Executor, Item, WorkerInfo
from auditor.batch.files import BatchError, file_size, find_recordings, is_url, sha256_file
from auditor.batch.pool import LocalPool
from auditor.store.db import Store


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


# ---------------------------------------------------------------- the batch


def save_audited(
    store: Store,
    card: Mapping[str, Any],
    *,
    call_id: str,
    path: str,
    meta: md.CallMeta | None = None,
    redact: bool = False,
    **row: Any,
) -> dict[str, Any]:
    """Finish a worker's scorecard and write it; returns the scorecard as stored.

    What the batch does with each call: enrichment (``auditor.batch.enrich``: redaction,
    metadata, the per-day frequency rule over the stored calls of the same debtor and day, one
    scoring), then ``Store.save_call`` (``row``: its ``size``, ``model``, ``rules_version``,
    ``run_id``, ``run_counts``), which writes the call and the other calls whose flags changed
    in ONE transaction.
    """
    columns = enrich.meta_columns(meta)
    group = store.frequency_group(call_id, columns["debtor_id"], columns["call_date"])
    done = enrich.enrich(card, call_id=call_id, path=path, meta=meta, redact=redact, group=group)
    return store.save_call(
        done.card,
        call_id=call_id,
        path=path,
        columns=done.columns,
        redacted=redact,
        regrouped=done.regrouped,
        **row,
    )


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

    metas: dict[str, md.CallMeta | None] = {}

    def meta_of(path: str) -> md.CallMeta | None:
        """The metadata of a recording, looked up once (for the worker and the enrichment)."""
        if path not in metas:
            metas[path] = meta_index.lookup(path) if meta_index is not None else None
        return metas[path]

    def record(item: Item, card: dict[str, Any], info: WorkerInfo) -> None:
        path, call_id, size, _ = item
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
        meta = meta_of(path)
        stored = save_audited(
            store,
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
                hashed = [(str(f), sha256_file(f), file_size(f)) for f in files]
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
                    meta = meta_of(path)
                    start = meta.call_start.isoformat() if meta and meta.call_start else None
                    pending.append((path, call_id, size, start))
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
