"""QA review: `auditor serve` (the review page, ``auditor.review.web``) and `auditor review`
(a verdict from the command line, ``auditor.review.verdicts``)."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.options import db_option, open_db
from auditor.core.timefmt import clock
from auditor.core.vocab import CATEGORIES


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs reviewers "
                   "(`auditor reviewers add`) or --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--token", envvar="AUDITOR_TOKEN", default=None,
              help="Shared secret that opens the page read-only (or $AUDITOR_TOKEN); "
                   "verdicts off loopback need a reviewer's own token.")
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
@click.argument("flag_id", type=int, required=False)
@db_option
@click.option("--verdict", type=click.Choice(["confirmed", "false_alarm", "unreviewed"]),
              help="The verdict on FLAG_ID: confirmed, false_alarm, or unreviewed to take it back.")
@click.option("--call", "call_ref",
              help="A call (start of its id or its file) for --missed or --checked.")
@click.option("--missed", type=click.Choice(CATEGORIES), metavar="CATEGORY",
              help="Mark a violation of CATEGORY the auditor did not flag on --call.")
@click.option("--at", "at", help="Where in the call the missed violation is (mm:ss or seconds).")
@click.option("--checked", is_flag=True,
              help="Record that you listened to spot-checked --call whole.")
@click.option("--reviewer", help="Who gives the verdict or mark (required unless unreviewed).")
@click.option("--comment", help="Why, for the QA lead.")
def review_cmd(flag_id: int | None, db: Path, verdict: str | None, call_ref: str | None,
               missed: str | None, at: str | None, checked: bool, reviewer: str | None,
               comment: str | None) -> None:
    """Record a verdict on one flag, a missed violation on a call, or a spot check done.

    \b
    auditor review FLAG_ID --verdict false_alarm --reviewer li --db DB
    auditor review --call CALL --missed threat --at 01:23 --reviewer li --db DB
    auditor review --call CALL --checked --reviewer li --db DB
    """
    from auditor.review.verdicts import ReviewError

    if flag_id is not None:
        if verdict is None or call_ref or missed or checked:
            raise click.UsageError("with FLAG_ID give --verdict (and no --call/--missed/--checked)")
        _verdict(db, flag_id, verdict, reviewer, comment)
        return
    if not call_ref or not (missed or checked) or verdict:
        raise click.UsageError(
            "give FLAG_ID with --verdict, or --call with --missed CATEGORY and/or --checked")
    from auditor.review.verdicts import check_spot, mark_missed
    from auditor.store.db import StoreError

    with open_db(db) as store:
        try:
            call_id = store.resolve(call_ref)
            if missed:
                result = mark_missed(store, call_id, missed, at, comment, reviewer)
                mark = next(m for m in result["missed"] if m["id"] == result["id"])
                where = f" at {clock(mark['at_s'])}" if mark["at_s"] is not None else ""
                click.echo(f"missed {missed}{where} marked on call {call_id[:12]} by "
                           f"{mark['reviewer']} (mark #{mark['id']}; "
                           f"{len(result['missed'])} on this call)")
            if checked:
                spot = check_spot(store, call_id, reviewer)
                click.echo(f"spot check of call {call_id[:12]} done by {spot['checked_by']} "
                           f"at {spot['checked_at']}")
        except (ReviewError, StoreError) as exc:
            raise click.ClickException(str(exc)) from exc


def _verdict(db: Path, flag_id: int, verdict: str, reviewer: str | None,
             comment: str | None) -> None:
    """``auditor review FLAG_ID --verdict V``: one verdict, then the call's scores."""
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
