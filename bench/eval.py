"""`make eval`: flags found against the truth files of the sample calls, from two sources.

1. Truth transcripts: each call's true utterances (text, times, speakers) with its audio, so
   the rules and voice-metric flags are measured apart from ASR errors.
2. Audio: the whole auditor (ASR, attribution, metrics, rules) on the recording.

4. The outcome (``bench.eval_outcome``): result, amount and due right, from the truth
   transcripts and from audio (the audio path runs once per call: samples/calls' scorecards
   above are reused), for samples/varied's tuning and held-out halves and samples/calls, and
   the extraction's cost as a share of transcription time.

3. The real-wording corpus (corpus/real_wording.jsonl): recall and precision per category for
   the tuning half and the held-out half (aggregate figures only for the held-out half).

``python -m bench.eval --truth-only`` skips the model: truth transcripts (rules only), the corpus
and the rules' time per call; ``--errors`` also lists the tuning half's misses.

For each source: per category hits, misses and false alarms, then recall and precision over all
categories of the spec; from audio also with pinyin matching switched off, to show what it adds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.eval_rules import (
    ALL_CATEGORIES,
    corpus_report,
    evaluate,
    load_truths,
    run_on_truths,
    time_rules,
)

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = ROOT / "samples" / "calls"


def from_truth(auditor, truths) -> list:
    """Flags of every call from its truth transcript (speakers known) and its audio."""
    from auditor.asr.transcript import normalise_utterances
    from auditor.audio.decode import decode

    pairs = []
    for _stem, truth in truths:
        audio = decode(SAMPLES / truth["file"])
        utterances = normalise_utterances(truth["utterances"])
        if truth.get("layout") == "stereo":
            agent = truth.get("agent_channel") or 0
            for u in utterances:
                u["channel"] = agent if u["speaker"] == "agent" else 1 - agent
        analysis = auditor.analyser.analyse(utterances, audio, truth.get("layout"),
                                            attribute_mono=False)
        pairs.append((truth.get("expected_flags", []), analysis.flags))
    return pairs


def from_audio(auditor, truths, cards: dict | None = None) -> tuple[list, list, float, float]:
    """Scorecards of every call from its recording (with its start, so the outcome is dated;
    kept in `cards` by path when given); also the flags with pinyin matching off."""
    from auditor.compliance.audit import audit_utterances

    pairs, pairs_no_pinyin = [], []
    audio_s = wall = 0.0
    plain = auditor.analyser.rules.with_pinyin(False)
    for _stem, truth in truths:
        t0 = time.perf_counter()
        card = auditor.audit(SAMPLES / truth["file"], call_start=truth.get("call_start"))
        wall += time.perf_counter() - t0
        if cards is not None:
            cards[str(SAMPLES / truth["file"])] = card
        audio_s += card.get("duration_s") or 0.0
        pairs.append((truth.get("expected_flags", []), card["flags"]))
        rule_flags, _ = audit_utterances(card["utterances"], plain)
        other = [f for f in card["flags"] if f.get("via") is None and f["category"] in
                 ("speech_rate_fast", "shouting", "long_silence", "interruption")]
        pairs_no_pinyin.append((truth.get("expected_flags", []), rule_flags + other))
    return pairs, pairs_no_pinyin, audio_s, wall


def truth_only(truths) -> None:
    """Without the model: rules on the truth transcripts, the corpus halves, rule timing."""
    from auditor.compliance.rules import load_rules

    rules = load_rules()
    report, step_errors = run_on_truths(truths, rules)
    print(report.format(f"== From the truth transcripts, rules only ({len(truths)} calls, "
                        f"rules {rules.version}) =="))
    print(f"  script steps disagreeing with truth: {len(step_errors)}")
    print(corpus_report(rules, show_tuning_errors="--errors" in sys.argv))
    per_call, length = time_rules(truths, rules)
    print(f"\nrules per call {per_call:.3f} s (mean call {length:.0f} s)")
    from bench import eval_outcome

    outcome_calls = eval_outcome.load_calls()
    print(eval_outcome.report(eval_outcome.from_truth(outcome_calls), None,
                              "--errors" in sys.argv))


def main() -> None:
    truths = load_truths(SAMPLES)
    if not truths:
        raise SystemExit(f"no truth files in {SAMPLES}")
    if "--truth-only" in sys.argv or "--corpus-only" in sys.argv:
        truth_only(truths)
        return
    from auditor.pipeline import Auditor

    names = [stem for stem, _ in truths]
    auditor = Auditor()
    print(f"{len(truths)} sample calls, rules {auditor.rules_version}, model {auditor.model_name}")
    truth_report = evaluate(from_truth(auditor, truths), ALL_CATEGORIES, names)
    print(truth_report.format("\n== From the truth transcripts (all categories) =="))
    from bench import eval_outcome

    spent = eval_outcome.timed_decoder(auditor)
    cards: dict = {}
    pairs, pairs_plain, audio_s, wall = from_audio(auditor, truths, cards)
    audio_report = evaluate(pairs, ALL_CATEGORIES, names)
    print(audio_report.format(f"\n== From audio with {auditor.model_name} (all categories) =="))
    plain_report = evaluate(pairs_plain, ALL_CATEGORIES, names)
    print(f"\nfrom audio without pinyin matching: recall {plain_report.recall:.2f}, "
          f"precision {plain_report.precision:.2f}")
    print(f"\naudio {audio_s:.0f} s audited in {wall:.0f} s "
          f"(real-time factor {wall / audio_s:.3f})")
    from auditor.compliance.rules import load_rules

    rules = load_rules()
    print(corpus_report(rules))
    per_call, length = time_rules(truths, rules)
    print(f"\nrules per call {per_call:.3f} s (mean call {length:.0f} s, audio audited in "
          f"{wall / max(len(truths), 1):.1f} s per call)")
    outcome_calls = eval_outcome.load_calls()
    outcome_truth = eval_outcome.from_truth(outcome_calls)
    outcome_audio = eval_outcome.from_audio(auditor, outcome_calls, cards, spent)
    print(eval_outcome.report(outcome_truth, outcome_audio, "--errors" in sys.argv))
    held = "varied held-out"
    print(f"\nSummary: outcome held-out truth {outcome_truth.share(held):.3f} | audio "
          f"{outcome_audio.tally.share(held):.3f}")
    print(f"Summary: truth recall {truth_report.recall:.2f} precision "
          f"{truth_report.precision:.2f} | audio recall {audio_report.recall:.2f} precision "
          f"{audio_report.precision:.2f}")


if __name__ == "__main__":
    main()
