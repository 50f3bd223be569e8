"""End to end with the real Whisper model on the sample calls (marked e2e; `make test` runs them).

Each sample call is audited once (module fixture); the tests then check what a QA lead relies
on: no stretch of speech lost, the right party on each line, a transcript close to what was said,
and no agent flag raised by the customer's words.

The varied calls (samples/varied, 75 calls, drawn voices / codecs / noise / wording) are audited
once too and scored per split, tuning and held-out (fixed before anything was measured): the
test prints both halves' recall and precision over the 16 categories and asserts what the
product achieves today (the issue's target, 0.95 on the held-out half, is not reached yet).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from bench.cer import char_errors
from bench.eval_rules import ALL_CATEGORIES, SPLITS, VARIED_SAMPLES, evaluate, load_truths
from tests.helpers import SAMPLES, sample_calls

pytestmark = pytest.mark.e2e

CALLS = sample_calls()


def _truth(path):
    return json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".truth.json").read_text(
        encoding="utf-8"))


@pytest.fixture(scope="module")
def auditor():
    from auditor.pipeline import Auditor

    return Auditor()


@pytest.fixture(scope="module")
def cards(auditor):
    return {path.name: auditor.audit(path) for path in CALLS}


def _overlap(a, b) -> float:
    return max(0.0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def _cer(ref: str, hyp: str) -> float:
    """Character error rate, as `make bench` computes it (bench/cer.py)."""
    errors, length = char_errors(ref, hyp)
    return errors / max(1, length)


def test_there_are_enough_sample_calls():
    assert len(CALLS) >= 16
    layouts = {_truth(p)["layout"] for p in CALLS}
    assert layouts == {"mono", "stereo"}


@pytest.mark.parametrize("path", CALLS, ids=lambda p: p.name)
def test_no_speech_is_lost(cards, path):
    card, truth = cards[path.name], _truth(path)
    assert card["status"] == "ok", card["error"]
    assert card["layout"] == truth["layout"]
    assert card["channels"] == truth["channels"]
    assert abs(card["duration_s"] - truth["duration_s"]) < 0.1
    assert card["asr"]["coverage"] >= 0.97
    for t in truth["utterances"]:
        if t["end"] - t["start"] >= 0.5:
            assert any(_overlap(t, h) > 0 for h in card["utterances"]), (
                f"nothing transcribed for {t['text']} at {t['start']}")


@pytest.mark.parametrize("path", CALLS, ids=lambda p: p.name)
def test_transcript_is_close_to_what_was_said(cards, path):
    card, truth = cards[path.name], _truth(path)
    ref = "".join(u["text"] for u in truth["utterances"])
    hyp = "".join(u["text"] for u in card["utterances"])
    # Whisper base on telephone audio writes numbers as digits and mishears domain words; the
    # benchmark reports the exact figure. A transcript that lost or invented whole sentences
    # would be far above this.
    assert _cer(ref, hyp) < 0.5
    assert all(not u["text"].strip() == "" for u in card["utterances"])


@pytest.mark.parametrize("path", [p for p in CALLS if _truth(p)["layout"] == "stereo"],
                         ids=lambda p: p.name)
def test_stereo_lines_carry_the_right_party(cards, path):
    card, truth = cards[path.name], _truth(path)
    for h in card["utterances"]:
        best = max(truth["utterances"], key=lambda t: _overlap(t, h))
        if _overlap(best, h) > 0:
            assert h["speaker"] == best["speaker"], h


def test_agent_channel_swaps_the_parties(auditor, cards):
    path = SAMPLES / "compliant_stereo_8k.wav"
    from auditor.pipeline import Auditor

    swapped = Auditor(agent_channel=1)
    swapped._transcriber = auditor.transcriber  # the same loaded model: load it once
    card = swapped.audit(path)
    normal = cards[path.name]
    assert [u["text"] for u in card["utterances"]] == [u["text"] for u in normal["utterances"]]
    assert [u["speaker"] for u in card["utterances"]] == [
        {"agent": "customer", "customer": "agent"}[u["speaker"]] for u in normal["utterances"]]


def test_line_echo_of_the_agent_is_not_put_in_the_customers_mouth(auditor, cards):
    """Real recordings carry a faint copy of the agent on the customer's channel (-30 dB)."""
    import dataclasses

    from auditor.audio.decode import decode

    path = SAMPLES / "compliant_stereo_8k.wav"
    audio = decode(path)
    samples = audio.samples.copy()
    samples[1] += 0.03 * samples[0]
    card = auditor.audit_audio(dataclasses.replace(audio, samples=samples), str(path), None)
    customer = "".join(u["text"] for u in card["utterances"] if u["speaker"] == "customer")
    for agent_words in ("请问", "感谢", "征信", "专员", "确认"):
        assert agent_words not in customer
    assert [u["speaker"] for u in card["utterances"]].count("customer") >= 3


def test_customer_abuse_on_a_mono_call_is_not_an_agent_violation(cards):
    card = cards["customer_swears_mono_8k.mp3"]
    agent_categories = {"abuse", "threat", "false_legal", "impatience"}
    assert not [f for f in card["flags"] if f["category"] in agent_categories]


def test_check_prints_times_speakers_and_text():
    result = CliRunner().invoke(cli, ["check", str(SAMPLES / "compliant_stereo_8k.wav")])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("[")]
    assert len(lines) >= 6
    assert lines[0].startswith("[00:0") and " agent " in lines[0]
    assert any(" customer " in ln for ln in lines)
    assert "Flags: none" in result.stdout


def test_check_json_is_the_spec_scorecard():
    result = CliRunner().invoke(cli, ["check", "--json", str(SAMPLES / "abuse_stereo_8k.m4a")])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    for key in ("call_id", "file", "status", "error", "duration_s", "channels", "layout", "asr",
                "utterances", "metrics", "steps", "flags", "score", "passed"):
        assert key in card
    assert len(card["call_id"]) == 64
    assert set(card["asr"]) >= {"model", "language", "speech_s", "coverage"}
    assert {"abuse"} <= {f["category"] for f in card["flags"]}
    assert card["passed"] is False
    for flag in card["flags"]:
        assert set(flag) >= {"category", "rule", "severity", "speaker", "start", "end",
                             "evidence", "matched"}


# ---------------------------------------------------------------- the varied calls, per split

VARIED = load_truths(VARIED_SAMPLES)
# What the product reliably reaches from audio today (measured with `make eval` on 2026-12-01,
# whisper-base, 2 cores: tuning 0.96 / 1.00, held-out 0.88 / 0.74), a few points below the
# measured figure: another CPU's floating point can move a borderline line or two. The issue's
# target is 0.95 / 0.95 on the held-out half: raise these as the product improves, never lower
# them to pass.
FLOORS = {
    "tuning": {"recall": 0.90, "precision": 0.90},
    "heldout": {"recall": 0.82, "precision": 0.68},
}


@pytest.fixture(scope="module")
def varied_cards(auditor):
    return {stem: auditor.audit(VARIED_SAMPLES / truth["file"]) for stem, truth in VARIED}


def test_the_varied_calls_have_both_halves():
    splits = {t["split"] for _, t in VARIED}
    assert splits == set(SPLITS)
    assert len(VARIED) >= 60


def test_every_varied_call_is_audited_in_the_spec_shape(varied_cards):
    for stem, card in varied_cards.items():
        assert card["status"] == "ok", (stem, card["error"])
        assert card["utterances"], stem
        for flag in card["flags"]:
            assert isinstance(flag.get("uncertain"), bool), (stem, flag)
        for u in card["utterances"]:
            c = u.get("confidence")
            assert c is None or 0.0 <= c <= 1.0, (stem, u)


@pytest.mark.parametrize("split", SPLITS)
def test_varied_calls_from_audio_per_split(varied_cards, split, capsys):
    part = [(stem, t) for stem, t in VARIED if t["split"] == split]
    pairs = [(t.get("expected_flags", []), varied_cards[stem]["flags"]) for stem, t in part]
    report = evaluate(pairs, ALL_CATEGORIES, [stem for stem, _ in part])
    uncertain = sum(bool(f.get("uncertain")) for _, flags in pairs for f in flags)
    with capsys.disabled():
        print(f"\nvaried {split} ({len(part)} calls) from audio: {report.summary()}; "
              f"{uncertain} of {sum(len(f) for _, f in pairs)} flags uncertain")
    assert report.recall >= FLOORS[split]["recall"], report.summary()
    assert report.precision >= FLOORS[split]["precision"], report.summary()
