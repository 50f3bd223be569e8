"""`auditor run PATHS --db DB`: the nightly batch, a thin wrapper over ``auditor.batch.run``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from auditor.cli.options import auditor_options, new_db_option


def _default_workers() -> int:
    """One single-threaded worker per core, as far as memory allows (about 1.5 GB each).

    Measured on 2 cores: 2 workers of 1 thread audit at a real-time factor of 0.10, one worker
    of 2 threads at 0.16 (decoding parallelises better across calls than inside one).
    """
    import os

    from auditor.asr.model import available_cores

    cores = available_cores()
    try:
        memory_gb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return cores
    return max(1, min(cores, int(memory_gb / 1.5)))


class _PathOrURL(click.ParamType):
    """An existing local path, or an fsspec URL (``s3://...``) left for the workers to read."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Path | str:
        if isinstance(value, str) and "://" in value:
            return value
        return click.Path(exists=True, path_type=Path).convert(value, param, ctx)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=_PathOrURL())
@new_db_option
@click.option("--workers", type=click.IntRange(1, None), default=_default_workers,
              show_default="cores / 2", help="Worker processes; each loads the model once.")
@click.option("--reprocess", is_flag=True,
              help="Audit again calls already audited with the same model and rules.")
@click.option("--redact", is_flag=True,
              help="Mask personal numbers (phone, ID, bank card) before storing anything.")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV or JSON by file name: call_start, agent_id, debtor_id, campaign.")
@click.option("--payments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV or JSON of payments (debtor_id, paid_at, amount): marks each stored "
                   "promise to pay kept, broken or pending.")
@auditor_options
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Audit on a Dask cluster: tcp://SCHEDULER:8786, or local:N for N local "
                   "worker processes (--workers is then unused). Paths must be visible to "
                   "every worker (shared mount) or fsspec URLs.")
def run(paths: tuple[Path | str, ...], db: Path, workers: int, reprocess: bool, redact: bool,
        metadata: Path | None, payments: Path | None, model_dir: Path | None,
        rules_dirs: tuple[Path, ...], agent_channel: int, cluster: str | None) -> None:
    """Audit every recording under PATHS into the database (skips calls already audited)."""
    import contextlib
    import time

    from auditor.batch.payments import PaymentsError, apply_payments, load_payments
    from auditor.batch.run import BatchError, run_batch
    from auditor.speakers.encoder import missing_note
    from auditor.store.db import StoreError

    try:  # read before the batch starts: a bad file fails fast, not after hours of audio
        ledger = load_payments(payments) if payments is not None else None
    except PaymentsError as exc:
        raise click.ClickException(str(exc)) from exc

    stack = contextlib.ExitStack()
    state: dict[str, Any] = {}

    def on_start(total: int) -> None:
        where = (f"on the Dask cluster {cluster} ({executor.workers} worker(s))" if cluster
                 else f"with {workers} worker(s)")
        click.echo(f"{total} call(s) to audit {where}.", err=True)
        if total and (note := missing_note()) is not None:
            click.echo(f"warning: {note}", err=True)
        state["bar"] = stack.enter_context(click.progressbar(
            length=total, label="Auditing", show_eta=True, show_pos=True, file=sys.stderr,
            item_show_func=lambda item: item))
        state["t0"] = time.perf_counter()

    def on_result(result: Any, summary: Any) -> None:
        bar = state.get("bar")
        if bar is None:
            return
        done = summary.scored + summary.failed
        per_min = 60 * done / max(1e-9, time.perf_counter() - state["t0"])
        bar.update(1, current_item=f"{per_min:.1f} calls/min")

    executor: Any = None
    try:
        if cluster:  # dask is imported only here: without --cluster the batch never loads it
            from auditor.batch.cluster import DaskExecutor

            executor = DaskExecutor(cluster)
        with stack:
            summary = run_batch(
                paths, db, workers=workers, reprocess=reprocess, redact=redact,
                metadata=metadata, model_dir=str(model_dir) if model_dir else None,
                rules_dirs=tuple(str(r) for r in rules_dirs), agent_channel=agent_channel,
                on_start=on_start, on_result=on_result, executor=executor)
    except (BatchError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.format())
    if ledger is not None and not summary.interrupted:
        counts = apply_payments(db, ledger)
        click.echo(f"Promises against {len(ledger)} payment(s): {counts['kept']} kept, "
                   f"{counts['broken']} broken, {counts['pending']} pending.")
    if summary.interrupted:
        click.echo("Stopped; run the same command again to continue where it left off.",
                   err=True)
        sys.exit(130)
