"""The options several commands share, as decorators (as sqlite-utils does), and the database
they name: one place for each option's name, type, default and help text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "The SQLite database of audited calls."
MODEL_HELP = "Local CTranslate2 Whisper directory (default: $AUDITOR_MODEL or models/whisper-base)."
RULES_HELP = "Folder of extra rule packs (*.toml), added to the built-in ones; repeatable."
AGENT_CHANNEL_HELP = "Stereo: the channel that carries the agent (0 or 1)."


def db_option(fn: F) -> F:
    """``--db``: an existing database of audited calls (the QA and review commands)."""
    return click.option("--db", required=True, type=click.Path(path_type=Path),
                        help=DB_HELP)(fn)


def new_db_option(fn: F) -> F:
    """``--db`` for ``run``: the database to write, created if missing."""
    return click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path),
                        help=DB_HELP + " Created if missing.")(fn)


def json_option(help: str) -> Callable[[F], F]:
    """``--json`` (as ``as_json``) with the command's own help text."""

    def decorator(fn: F) -> F:
        return click.option("--json", "as_json", is_flag=True, help=help)(fn)

    return decorator


def model_option(fn: F) -> F:
    """``--model`` (as ``model_dir``): the local Whisper model directory."""
    return click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
                        help=MODEL_HELP)(fn)


def rules_option(fn: F) -> F:
    """``--rules`` (as ``rules_dirs``): extra rule pack folders, repeatable."""
    return click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
                        help=RULES_HELP)(fn)


def agent_channel_option(fn: F) -> F:
    """``--agent-channel``: which stereo channel carries the agent."""
    return click.option("--agent-channel", type=click.IntRange(0, 1), default=0,
                        show_default=True, help=AGENT_CHANNEL_HELP)(fn)


def auditor_options(fn: F) -> F:
    """``--model``, ``--rules`` and ``--agent-channel``: how the auditor is built, in that order."""
    return model_option(rules_option(agent_channel_option(fn)))


def open_db(db: Path) -> Any:
    """Open an existing database for the QA commands, or exit with what to do."""
    from auditor.store.db import Store, StoreError

    if not db.exists():
        raise click.ClickException(f"{db} does not exist; run `auditor run PATH --db {db}` first")
    try:
        return Store(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
