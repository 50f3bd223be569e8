"""`auditor check FILE`: audit one recording (or, with --transcript, one transcript) and print
it for a person or, with --json, as the scorecard of the spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from auditor.cli.card import render_card
from auditor.cli.options import auditor_options, json_option


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@json_option("Print the scorecard as JSON.")
@click.option("--transcript", "transcript", is_flag=True,
              help="FILE is a transcript (JSON utterances), not audio: audit the text only.")
@auditor_options
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
