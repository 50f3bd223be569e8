"""`auditor reviewers add/list/remove`: the reviewers who sign in to the review page with a
token of their own (``auditor.review.reviewers``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from auditor.cli.options import db_option, json_option, open_db


def _on_store(db: Path, action: Callable[..., Any], name: str) -> Any:
    """Run one reviewers action on the database; a refusal becomes the command's error."""
    from auditor.store.db import StoreError

    with open_db(db) as store:
        try:
            return action(store, name)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group()
def reviewers() -> None:
    """Reviewers who sign in to the review page with their own token."""


@reviewers.command("add")
@click.argument("name")
@db_option
def add(name: str, db: Path) -> None:
    """Create reviewer NAME and print their token (shown this once; only its hash is kept)."""
    from auditor.review.reviewers import add_reviewer

    token = _on_store(db, add_reviewer, name)
    click.echo(f"Reviewer {name.strip()} added. Their token (shown only now, keep it secret):")
    click.echo(token)
    click.echo("They sign in by opening the review page's address with ?token=<token>, "
               "or by pasting it on the sign-in page.", err=True)


@reviewers.command("list")
@db_option
@json_option("Print as JSON.")
def list_cmd(db: Path, as_json: bool) -> None:
    """List the reviewers (names and when they were added; never tokens)."""
    from auditor.review.reviewers import list_reviewers

    with open_db(db) as store:
        rows = list_reviewers(store)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        click.echo("No reviewers; `auditor reviewers add NAME --db DB` creates one.")
    else:
        for r in rows:
            click.echo(f"{r['id']:>4}  {r['name']}  added {r['created_at']}")


@reviewers.command("remove")
@click.argument("name")
@db_option
def remove(name: str, db: Path) -> None:
    """Remove reviewer NAME: their token stops working; their verdicts keep their name."""
    from auditor.review.reviewers import remove_reviewer

    _on_store(db, remove_reviewer, name)
    click.echo(f"Reviewer {name.strip()} removed; their token no longer signs in.")
