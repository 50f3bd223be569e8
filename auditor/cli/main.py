"""The `auditor` command line: thin click commands over the library.

`auditor check FILE` audits one recording (or, with --transcript, one transcript) and prints
it for a person or, with --json, as the scorecard of the spec.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from auditor import __version__

MODEL_HELP = "Local CTranslate2 Whisper directory (default: $AUDITOR_MODEL or models/whisper-base)."
RULES_HELP = "Folder of extra rule packs (*.toml), added to the built-in ones; repeatable."
AGENT_CHANNEL_HELP = "Stereo: the channel that carries the agent (0 or 1)."


@click.group()
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit recorded Mandarin debt-collection calls."""


def format_time(seconds: float | None) -> str:
    """mm:ss.s for transcripts."""
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(max(0.0, float(seconds)), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def render_card(card: dict[str, Any]) -> str:
    """A scorecard as a person reads it: header, transcript, metrics, steps, flags."""
    lines = []
    asr = card.get("asr") or {}
    head = [card["file"]]
    if card.get("layout"):
        head.append(f"{card['layout']}")
    if card.get("sample_rate"):
        head.append(f"{card['sample_rate'] / 1000:g} kHz")
    if card.get("duration_s") is not None:
        head.append(f"{card['duration_s']:.1f} s")
    if asr:
        head.append(f"speech {asr['speech_s']:.1f} s, coverage {asr['coverage']:.2f}, "
                    f"{asr['model']}")
    if card.get("attribution_confidence") is not None:
        head.append(f"attribution confidence {card['attribution_confidence']:.2f}")
    lines.append("  ".join(head))
    lines.append("")
    for u in card["utterances"]:
        lines.append(f"[{format_time(u['start'])}-{format_time(u['end'])}] "
                     f"{u['speaker']:<8} {u['text']}")
    metrics = card.get("metrics") or {}
    people = [s for s in ("agent", "customer", "unknown") if isinstance(metrics.get(s), dict)]
    if people:
        lines.append("")
        lines.append("Voice:")
        for who in people:
            m = metrics[who]
            parts = []
            for key, label, fmt in (("speech_rate_cpm", "rate", "{:.0f}/min"),
                                    ("pitch_median_hz", "pitch", "{:.0f} Hz"),
                                    ("pitch_std_semitones", "variation", "{:.1f} st"),
                                    ("loudness_dbfs", "loudness", "{:.1f} dBFS"),
                                    ("talk_s", "talk", "{:.1f} s")):
                if m.get(key) is not None:
                    parts.append(f"{label} {fmt.format(m[key])}")
            lines.append(f"  {who:<8} " + ", ".join(parts))
        call_parts = []
        for key, label in (("longest_silence_s", "longest silence"),
                           ("overlap_count", "overlaps"), ("talk_ratio", "talk ratio")):
            if metrics.get(key) is not None:
                value = metrics[key]
                call_parts.append(f"{label} {value:.2f}" if isinstance(value, float)
                                  else f"{label} {value}")
        if call_parts:
            lines.append("  call     " + ", ".join(call_parts))
    if card.get("steps"):
        done = [k for k, v in card["steps"].items() if v]
        missing = [k for k, v in card["steps"].items() if not v]
        lines.append("")
        lines.append("Steps: " + (", ".join(done) or "none")
                     + (f"  (missing: {', '.join(missing)})" if missing else ""))
    lines.append("")
    if card.get("flags"):
        lines.append(f"Flags ({len(card['flags'])}):")
        for f in card["flags"]:
            lines.append(
                f"  {format_time(f.get('start'))} {f['severity']:<8} {f['category']:<30} "
                f"{f.get('speaker') or '':<8} {f.get('matched') or ''} | {f.get('evidence') or ''}"
            )
    else:
        lines.append("Flags: none")
    if card.get("score") is not None:
        lines.append(f"Score: {card['score']}  {'PASSED' if card.get('passed') else 'FAILED'}")
    return "\n".join(lines)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@click.option("--transcript", "transcript", is_flag=True,
              help="FILE is a transcript (JSON utterances), not audio: audit the text only.")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help=MODEL_HELP)
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
              help=RULES_HELP)
@click.option("--agent-channel", type=click.IntRange(0, 1), default=0, show_default=True,
              help=AGENT_CHANNEL_HELP)
def check(file: Path, as_json: bool, transcript: bool, model_dir: Path | None,
          rules_dirs: tuple[Path, ...], agent_channel: int) -> None:
    """Audit one recording and print its transcript, voice measures and flags."""
    from auditor.asr.model import ModelError
    from auditor.compliance.rulepack import RulePackError
    from auditor.core.scorecard import failed_scorecard
    from auditor.pipeline import Auditor

    try:
        auditor = Auditor(model_dir=model_dir, rules_dirs=rules_dirs,
                          agent_channel=agent_channel, load_asr=not transcript)
        if transcript:
            from auditor.asr.transcript import TranscriptError, load_transcript

            try:
                utterances, layout = load_transcript(file)
            except TranscriptError as exc:
                card = failed_scorecard(str(file), str(exc))
            else:
                card = auditor.audit_transcript(utterances, str(file), layout)
        else:
            card = auditor.audit(file)
    except (ModelError, RulePackError) as exc:
        if as_json:
            click.echo(json.dumps(failed_scorecard(str(file), str(exc)), ensure_ascii=False,
                                  indent=2))
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(card, ensure_ascii=False, indent=2))
    elif card["status"] == "ok":
        click.echo(render_card(card))
    if card["status"] != "ok":
        click.echo(f"error: {card['error']}", err=True)
        sys.exit(1)


# =====================================================================================
# Batch, store and QA commands (issue 6): run, flagged, show, search, export, report.
# Thin wrappers over auditor.batch.run, auditor.store and auditor.report.
# =====================================================================================

DB_HELP = "The SQLite database of audited calls."


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


def _open_db(db: Path) -> Any:
    """Open an existing database for the QA commands, or exit with what to do."""
    from auditor.store.db import Store, StoreError

    if not db.exists():
        raise click.ClickException(f"{db} does not exist; run `auditor run PATH --db {db}` first")
    try:
        return Store(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


class _PathOrURL(click.ParamType):
    """An existing local path, or an fsspec URL (``s3://...``) left for the workers to read."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Path | str:
        if isinstance(value, str) and "://" in value:
            return value
        return click.Path(exists=True, path_type=Path).convert(value, param, ctx)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=_PathOrURL())
@click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=DB_HELP + " Created if missing.")
@click.option("--workers", type=click.IntRange(1, None), default=_default_workers,
              show_default="cores / 2", help="Worker processes; each loads the model once.")
@click.option("--reprocess", is_flag=True,
              help="Audit again calls already audited with the same model and rules.")
@click.option("--redact", is_flag=True,
              help="Mask personal numbers (phone, ID, bank card) before storing anything.")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV or JSON by file name: call_start, agent_id, debtor_id, campaign.")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help=MODEL_HELP)
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
              help=RULES_HELP)
@click.option("--agent-channel", type=click.IntRange(0, 1), default=0, show_default=True,
              help=AGENT_CHANNEL_HELP)
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Audit on a Dask cluster: tcp://SCHEDULER:8786, or local:N for N local "
                   "worker processes (--workers is then unused). Paths must be visible to "
                   "every worker (shared mount) or fsspec URLs.")
def run(paths: tuple[Path | str, ...], db: Path, workers: int, reprocess: bool, redact: bool,
        metadata: Path | None, model_dir: Path | None, rules_dirs: tuple[Path, ...],
        agent_channel: int, cluster: str | None) -> None:
    """Audit every recording under PATHS into the database (skips calls already audited)."""
    import contextlib
    import time

    from auditor.batch.run import BatchError, run_batch
    from auditor.store.db import StoreError

    stack = contextlib.ExitStack()
    state: dict[str, Any] = {}

    def on_start(total: int) -> None:
        where = (f"on the Dask cluster {cluster} ({executor.workers} worker(s))" if cluster
                 else f"with {workers} worker(s)")
        click.echo(f"{total} call(s) to audit {where}.", err=True)
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
    if summary.interrupted:
        click.echo("Stopped; run the same command again to continue where it left off.",
                   err=True)
        sys.exit(130)


@cli.command()
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--category", help="Only flags of this category (e.g. abuse, call_hours).")
@click.option("--severity", type=click.Choice(["critical", "major", "minor", "info"]),
              help="Only flags of this severity.")
@click.option("--agent", help="Only calls by this agent id (from --metadata).")
@click.option("--date", "day", help="Only calls on this day, YYYY-MM-DD.")
@click.option("--unreviewed", is_flag=True, help="Only flags nobody has reviewed yet.")
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True,
              help="At most this many calls.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def flagged(db: Path, category: str | None, severity: str | None, agent: str | None,
            day: str | None, unreviewed: bool, limit: int, as_json: bool) -> None:
    """List calls to listen to, worst first, with each flag's time and evidence."""
    from auditor.report.text import format_flagged

    with _open_db(db) as store:
        entries = store.flagged(category=category, severity=severity, agent=agent, day=day,
                                unreviewed=unreviewed, limit=limit)
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
    else:
        click.echo(format_flagged(entries))


@cli.command()
@click.argument("call")
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
def show(call: str, db: Path, as_json: bool) -> None:
    """Print one stored scorecard; CALL is the start of its id, its path or its file name."""
    from auditor.store.db import StoreError

    with _open_db(db) as store:
        try:
            call_id = store.resolve(call)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
        card = store.card(call_id)
        row = store.call_row(call_id) or {}
    if as_json:
        click.echo(json.dumps(card, ensure_ascii=False, indent=2))
        return
    click.echo(f"call {call_id}  processed {row.get('processed_at')}  model {row.get('model')}"
               f"  rules {row.get('rules_version')}")
    meta = card.get("metadata") or {}
    if meta:
        click.echo("  ".join(f"{k} {v}" for k, v in meta.items()))
    if card.get("status") != "ok":
        click.echo(f"{card.get('file')}: FAILED: {card.get('error')}")
        return
    click.echo(render_card(card))
    subs = card.get("subscores") or {}
    if subs:
        click.echo("Sub-scores: " + ", ".join(f"{k} {v}" for k, v in subs.items()))


@cli.command()
@click.argument("text")
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True)
def search(text: str, db: Path, limit: int) -> None:
    """Find calls by what was said (every word of TEXT must appear in one utterance)."""
    with _open_db(db) as store:
        hits = store.search(text, limit=limit)
    if not hits:
        click.echo(f"Nothing said matches {text!r}.")
        return
    for h in hits:
        click.echo(f"{h['call_id'][:16]}  {h['path']}  [{format_time(h['start'])}] "
                   f"{h['speaker']}: {h['text']}")


@cli.command()
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="One scorecard per line (jsonl) or per row (csv).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
def export(db: Path, fmt: str, output: Path | None) -> None:
    """Write every stored scorecard in the spec's shape."""
    from auditor.store.db import export_cards

    with _open_db(db) as store:
        if output is None:
            export_cards(store, fmt, sys.stdout)
            return
        with open(output, "w", encoding="utf-8", newline="") as out:
            n = export_cards(store, fmt, out)
    click.echo(f"{n} scorecard(s) written to {output}", err=True)


@cli.command()
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report with charts here.")
def report(db: Path, html_file: Path | None) -> None:
    """Pass rate, flags per category, agent and day, speech-rate and talk-ratio spread."""
    from auditor.report.build import build_report
    from auditor.report.page import render_html
    from auditor.report.text import format_text

    with _open_db(db) as store:
        data = build_report(store)
    click.echo(format_text(data))
    if html_file is not None:
        html_file.write_text(render_html(data), encoding="utf-8")
        click.echo(f"HTML report written to {html_file}", err=True)


# ---------------------------------------------------------------------------------------------
# `auditor rules ...` (issue 4: rule packs). Maintained with auditor/rules.py and rulepack.py.


@cli.group()
def rules() -> None:
    """List the active compliance rules or check a rule pack."""


@rules.command("list")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
              help=RULES_HELP)
def rules_list(rules_dirs: tuple[Path, ...]) -> None:
    """Show the active rules and script steps: id, category, severity, speakers, phrases."""
    from auditor.compliance.rulepack import RulePackError
    from auditor.compliance.rules import load_rules

    try:
        active = load_rules(extra_dirs=list(rules_dirs))
    except RulePackError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = active.describe()
    header = ("id", "category", "severity", "speakers", "phrases", "patterns")
    table = [[str(r[h]) if h != "phrases" or not r["detector"] else r["detector"]
              for h in header] for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    for cells in [list(header), *table]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} rules and steps from {len(active.packs)} packs, "
               f"version {active.version}")


@rules.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def rules_check(files: tuple[Path, ...]) -> None:
    """Validate rule packs (FILE.toml ...); list each problem by line, exit 1 if any."""
    from auditor.compliance.rulepack import check_pack

    problems = [p for f in files for p in check_pack(f)]
    for p in problems:
        click.echo(p)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {', '.join(str(f) for f in files)}")


# =====================================================================================
# QA review: `auditor serve` (the review page, auditor/web.py) and `auditor review`
# (a verdict from the command line, auditor/review.py).
# =====================================================================================


@cli.command()
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--token", envvar="AUDITOR_TOKEN", default=None,
              help="Secret every request must carry (needed off loopback; or $AUDITOR_TOKEN).")
@click.option("--quiet", is_flag=True, help="Do not log each request.")
def serve(db: Path, host: str, port: int, token: str | None, quiet: bool) -> None:
    """Start the QA review page over the database and print its address."""
    from auditor.review.web import ServeError, make_server

    try:
        server = make_server(db, host=host, port=port, token=token, quiet=quiet)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Review page: {server.url}  (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
    finally:
        server.server_close()


@cli.command("review")
@click.argument("flag_id", type=int)
@click.option("--db", required=True, type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--verdict", required=True,
              type=click.Choice(["confirmed", "false_alarm", "unreviewed"]),
              help="confirmed, false_alarm, or unreviewed to take a verdict back.")
@click.option("--reviewer", help="Who gives the verdict (required unless unreviewed).")
@click.option("--comment", help="Why, for the QA lead.")
def review_cmd(flag_id: int, db: Path, verdict: str, reviewer: str | None,
               comment: str | None) -> None:
    """Record a verdict on one flag (FLAG_ID as listed by `auditor flagged --json`)."""
    from auditor.review.verdicts import ReviewError, record_verdict

    with _open_db(db) as store:
        try:
            result = record_verdict(store, flag_id, verdict, reviewer, comment)
        except ReviewError as exc:
            raise click.ClickException(str(exc)) from exc
    flag, scores = result["flag"], result["scores"]
    click.echo(f"flag {flag_id} ({flag['category']}) on call {result['call_id'][:12]}: "
               f"{flag['verdict']}" + (f" by {flag['reviewer']}" if flag["reviewer"] else "")
               + f" at {flag['reviewed_at']}")
    click.echo(f"score {scores['before']} -> {scores['after']} after review "
               f"({'pass' if scores['passed_after'] else 'fail'})")
