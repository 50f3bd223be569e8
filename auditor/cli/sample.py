"""`auditor sample`: spot checks, a random sample of the calls that raised no flag, put in the
review queue so QA can measure what the auditor misses (``auditor.review.sampling``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from auditor.cli.options import db_option, json_option, open_db


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@click.command()
@db_option
@click.option("--rate", type=click.FloatRange(0, 1, min_open=True), default=0.02,
              show_default=True, help="Share of the unflagged calls to sample.")
@click.option("--seed", type=int, default=None, help="Seed for a repeatable draw.")
@click.option("--since", callback=_day, help="Only calls of this day (YYYY-MM-DD) or later.")
@json_option("Print the drawn calls as JSON.")
def sample(db: Path, rate: float, seed: int | None, since: str | None, as_json: bool) -> None:
    """Queue a random sample of calls that raised no flag as spot checks (by agent and day)."""
    from auditor.review.sampling import sample as draw

    with open_db(db) as store:
        result = draw(store, rate, seed=seed, since=since)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['population']} unflagged call(s) not sampled yet in "
               f"{result['strata']} agent-day strata; drew {len(result['sampled'])} "
               f"({result['added']} new spot check(s) in the review queue).")
    for p in result["sampled"]:
        agent, day = p["stratum"].split("|", 1)
        click.echo(f"  {p['call_id'][:16]}  agent {agent}  {day}")
