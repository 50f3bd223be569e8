"""The QA commands over a database: `flagged`, `show`, `search`, `export`, `report`; thin
wrappers over ``auditor.store`` and ``auditor.report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from auditor.cli.card import render_card
from auditor.cli.options import db_option, json_option, open_db
from auditor.core.timefmt import clock
from auditor.outcome.result import RESULTS


@click.command()
@db_option
@click.option("--category", help="Only flags of this category (e.g. abuse, call_hours).")
@click.option("--severity", type=click.Choice(["critical", "major", "minor", "info"]),
              help="Only flags of this severity.")
@click.option("--agent", help="Only calls by this agent id (from --metadata).")
@click.option("--date", "day", help="Only calls on this day, YYYY-MM-DD.")
@click.option("--unreviewed", is_flag=True, help="Only flags nobody has reviewed yet.")
@click.option("--certain-only", "certainty", flag_value="certain",
              help="Only flags whose evidence can be trusted.")
@click.option("--uncertain", "certainty", flag_value="uncertain",
              help="Only uncertain flags (low-confidence text or unsettled speaker).")
@click.option("--outcome", "outcome", type=click.Choice(RESULTS),
              help="Only calls with this outcome (what the call achieved).")
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True,
              help="At most this many calls.")
@json_option("Print as JSON.")
def flagged(db: Path, category: str | None, severity: str | None, agent: str | None,
            day: str | None, unreviewed: bool, certainty: str | None, outcome: str | None,
            limit: int,
            as_json: bool) -> None:
    """List calls to listen to, worst first, with each flag's time and evidence.

    Uncertain flags (marked ?) rest on low-confidence text or an unsettled speaker: they
    are listed after the certain ones, and calls with only uncertain flags come last.
    """
    from auditor.report.text import format_flagged

    with open_db(db) as store:
        entries = store.flagged(category=category, severity=severity, agent=agent, day=day,
                                unreviewed=unreviewed, limit=limit,
                                certainty=certainty or "all", outcome=outcome)
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
    else:
        click.echo(format_flagged(entries))


@click.command()
@click.argument("call")
@db_option
@json_option("Print the scorecard as JSON.")
def show(call: str, db: Path, as_json: bool) -> None:
    """Print one stored scorecard; CALL is the start of its id, its path or its file name."""
    from auditor.store.db import StoreError

    with open_db(db) as store:
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
    from auditor.report.text import format_outcome

    click.echo(render_card(card))
    click.echo(format_outcome(card, row.get("promise_status")))
    subs = card.get("subscores") or {}
    if subs:
        click.echo("Sub-scores: " + ", ".join(f"{k} {v}" for k, v in subs.items()))


@click.command()
@click.argument("text")
@db_option
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True)
def search(text: str, db: Path, limit: int) -> None:
    """Find calls by what was said (every word of TEXT must appear in one utterance)."""
    with open_db(db) as store:
        hits = store.search(text, limit=limit)
    if not hits:
        click.echo(f"Nothing said matches {text!r}.")
        return
    for h in hits:
        click.echo(f"{h['call_id'][:16]}  {h['path']}  [{clock(h['start'])}] "
                   f"{h['speaker']}: {h['text']}")


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="One scorecard per line (jsonl) or per row (csv).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
def export(db: Path, fmt: str, output: Path | None) -> None:
    """Write every stored scorecard in the spec's shape."""
    from auditor.store.db import export_cards

    with open_db(db) as store:
        if output is None:
            export_cards(store, fmt, sys.stdout)
            return
        with open(output, "w", encoding="utf-8", newline="") as out:
            n = export_cards(store, fmt, out)
    click.echo(f"{n} scorecard(s) written to {output}", err=True)


@click.command()
@db_option
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report with charts here.")
def report(db: Path, html_file: Path | None) -> None:
    """Pass rate, flags per category, agent and day, speech-rate and talk-ratio spread."""
    from auditor.report.build import build_report
    from auditor.report.page import render_html
    from auditor.report.text import format_text

    with open_db(db) as store:
        data = build_report(store)
    click.echo(format_text(data))
    if html_file is not None:
        html_file.write_text(render_html(data), encoding="utf-8")
        click.echo(f"HTML report written to {html_file}", err=True)
