"""QA review: `auditor serve` (the review page, ``auditor.review.web``) and `auditor review`
(a verdict from the command line, ``auditor.review.verdicts``)."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.options import db_option, open_db


@click.command()
@db_option
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


@click.command("review")
@click.argument("flag_id", type=int)
@db_option
@click.option("--verdict", required=True,
              type=click.Choice(["confirmed", "false_alarm", "unreviewed"]),
              help="confirmed, false_alarm, or unreviewed to take a verdict back.")
@click.option("--reviewer", help="Who gives the verdict (required unless unreviewed).")
@click.option("--comment", help="Why, for the QA lead.")
def review_cmd(flag_id: int, db: Path, verdict: str, reviewer: str | None,
               comment: str | None) -> None:
    """Record a verdict on one flag (FLAG_ID as listed by `auditor flagged --json`)."""
    from auditor.review.verdicts import ReviewError, record_verdict

    with open_db(db) as store:
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
