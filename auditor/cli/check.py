"""`auditor check FILE`: audit one recording (or, with --transcript, one transcript) and print
it for a person or, with --json, as the scorecard of the spec.

`--metadata FILE` is the file `auditor run --metadata` reads, matched by the recording's (or,
with --transcript, the transcript's) path or file name: it adds the `metadata` field, the
call-hours flag, and resolves the outcome's relative dates against the call's start."""

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
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV or JSON of call metadata (file, call_start, agent_id, debtor_id, "
                   "campaign), as for `auditor run`; matched by FILE's path or name.")
@auditor_options
def check(file: Path, as_json: bool, transcript: bool, metadata: Path | None,
          model_dir: Path | None, rules_dirs: tuple[Path, ...], agent_channel: int) -> None:
    """Audit one recording and print its transcript, voice measures and flags."""
    from auditor.asr.model import ModelError
    from auditor.batch import metadata as md
    from auditor.compliance.rulepack import RulePackError
    from auditor.core.scorecard import failed_scorecard
    from auditor.pipeline import Auditor

    meta = None
    if metadata is not None:
        try:
            meta = md.load_metadata(metadata).lookup(file)
        except md.MetadataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        if meta is None:
            click.echo(f"warning: {file.name} is not in {metadata}; no metadata used.", err=True)
    start = meta.call_start.isoformat() if meta is not None and meta.call_start else None
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
                card = auditor.audit_transcript(utterances, str(file), layout, score=False,
                                                call_start=start)
        else:
            card = auditor.audit(file, score=False, call_start=start)
            if card["status"] == "ok" and card.get("layout") == "mono":
                from auditor.speakers.encoder import missing_note

                if (note := missing_note()) is not None:
                    click.echo(f"warning: {note}", err=True)
        if card["status"] == "ok":
            if meta is not None:
                from auditor.batch.enrich import join_metadata

                card = join_metadata(card, meta)
            card = auditor.score(card)
    except (ModelError, RulePackError) as exc:
        if as_json:
            click.echo(json.dumps(failed_scorecard(str(file), str(exc)), ensure_ascii=False,
                                  indent=2))
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(card, ensure_ascii=False, indent=2))
    elif card["status"] == "ok":
        from auditor.report.text import format_outcome

        click.echo(render_card(card))
        click.echo(format_outcome(card))
    if card["status"] != "ok":
        click.echo(f"error: {card['error']}", err=True)
        sys.exit(1)
