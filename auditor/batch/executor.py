"""What runs the calls of a batch: the executor protocol, its item types, the real auditor.

Why a module of its own: ``run_batch`` (finding, skipping, enriching, writing) and the places
calls run (``auditor.batch.pool.LocalPool`` on this machine, ``auditor.batch.cluster`` on a Dask
cluster) meet here, so neither imports the other. A worker is handed each call's id, computed
once by the parent, and its start time from the metadata (so the outcome's dates are resolved
in the one extraction the analysis makes), and audits without scoring: the parent scores after
enrichment.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol


class AuditorLike(Protocol):
    """What the batch needs from an auditor (``auditor.pipeline.Auditor`` or a fake)."""

    model_name: str
    rules_version: str

    def audit(
        self, path: str, call_id: str | None = None, score: bool = True,
        call_start: str | None = None,
    ) -> dict[str, Any]:
        """Audit one recording and return its scorecard (never raises for bad audio);
        ``call_start`` (ISO, from the metadata) resolves the outcome's relative dates."""
        ...


def build_auditor(
    model_dir: str | None = None,
    rules_dirs: Iterable[str] = (),
    agent_channel: int = 0,
    threads: int = 0,
) -> AuditorLike:
    """Build the real auditor (loads the Whisper model). Top-level so a pool can pickle it.

    ``threads`` are the model's CPU threads; 0 leaves the choice to the auditor.
    """
    from auditor.pipeline import Auditor

    return Auditor(
        model_dir=model_dir,
        rules_dirs=tuple(rules_dirs),
        agent_channel=agent_channel,
        threads=threads or None,
    )


def audit_call(auditor: AuditorLike, path: str, call_id: str,
               call_start: str | None = None) -> dict[str, Any]:
    """One call's scorecard from a worker's auditor: the id handed over, not scored yet.

    ``call_start`` (the metadata's, ISO) goes to the analysis, so the outcome is extracted
    once, with its dates resolved, where the call is audited (the parent does not redo it).
    It is passed only when known, so an auditor without the argument still serves.
    """
    extra = {} if call_start is None else {"call_start": call_start}
    card = auditor.audit(path, call_id=call_id, score=False, **extra)
    if not isinstance(card, dict):
        raise TypeError(f"audit() returned {type(card).__name__}, not a scorecard")
    return card


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports KB, macOS bytes)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


Item = tuple[str, str, int, str | None]
"""A call to audit: (path, call id, size in bytes, call start from the metadata as ISO or None)."""
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
