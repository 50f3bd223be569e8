"""The pieces of the command line: the command map, the shared options, the human view of a
scorecard, and the one time formatter every view of a time now uses."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from auditor.cli.card import render_card
from auditor.cli.main import cli
from auditor.cli.options import auditor_options, db_option, json_option, new_db_option
from auditor.core.timefmt import clock
from auditor.review.web import render_call_page
from tests.helpers import ROOT, spec_card


def test_every_command_is_on_the_group() -> None:
    assert sorted(cli.commands) == ["check", "export", "flagged", "report", "rescore", "review",
                                    "reviewers", "rules", "run", "sample", "search", "serve",
                                    "show"]
    assert sorted(cli.commands["rules"].commands) == ["check", "explain", "list", "test"]  # type: ignore[attr-defined]


def test_auditor_options_keep_their_names_order_and_defaults() -> None:
    @click.command()
    @auditor_options
    def cmd(model_dir: object, rules_dirs: object, agent_channel: int) -> None:
        """A command with the auditor's options."""

    params = {p.name: p for p in cmd.params}
    assert [p.name for p in cmd.params] == ["model_dir", "rules_dirs", "agent_channel"]
    assert params["rules_dirs"].multiple
    assert params["agent_channel"].default == 0


def test_db_and_json_options() -> None:
    @click.command()
    @db_option
    @json_option("Print it as JSON.")
    def old(db: object, as_json: bool) -> None:
        """Reads a database."""

    @click.command()
    @new_db_option
    def new(db: object) -> None:
        """Writes a database."""

    assert [(p.name, p.required) for p in old.params] == [("db", True), ("as_json", False)]
    assert old.params[1].help == "Print it as JSON."
    assert new.params[0].help == "The SQLite database of audited calls. Created if missing."


@pytest.mark.parametrize("seconds", [0.0, 0.04, 5.25, 59.96, 60.0, 65.3, 3599.9, 7322.45])
def test_the_three_old_formatters_agree_with_clock_on_recording_times(seconds: float) -> None:
    # The CLI's and the report's versions clamped at 0, the web page's did not; recording times
    # are never negative (VAD regions start at or after 0), so for them all three were equal.
    minutes, secs = divmod(float(seconds), 60)
    assert clock(seconds) == f"{int(minutes):02d}:{secs:04.1f}"


def test_clock_unknown_and_negative() -> None:
    assert clock(None) == "--:--"
    assert clock(-3.0) == "00:00.0"


def test_render_card_times_flags_and_score() -> None:
    card = spec_card("a.wav", {"flags": [{"category": "abuse", "start": 65.3, "end": 66.0}]})
    card.update(score=80, passed=True)
    text = render_card(card)
    assert text.splitlines()[0].startswith("a.wav  stereo  60.0 s")
    assert f"[{clock(0.5)}-{clock(3.0)}] agent    您好" in text
    assert f"  {clock(65.3)} major    abuse" in text
    assert "Flags (1):" in text and text.endswith("Score: 80  PASSED")


def test_call_page_shows_utterance_times_with_clock() -> None:
    page = render_call_page({"call_id": "c" * 64, "audio_url": "/api/calls/x/audio",
                             "utterances": [{"idx": 0, "start": 65.3, "end": 67.0,
                                             "speaker": "agent", "text": "您好"}]})
    assert f'<span class="time">{clock(65.3)}</span>' in page


def test_python_dash_m_runs_the_cli() -> None:
    for module in ("auditor.cli", "auditor.cli.main"):
        out = subprocess.run([sys.executable, "-m", module, "--version"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        assert out.stdout.startswith("auditor, version"), out
        assert out.stderr == ""
