"""`make eval`: flags found against the truth files of the sample calls, from two sources.

1. Truth transcripts: each call's true utterances (text, times, speakers) with its audio, so
   the rules and voice-metric flags are measured apart from ASR errors.
2. Audio: the whole auditor (ASR, attribution, metrics, rules) on the recording.

For each source: per category hits, misses and false alarms, then recall and precision over all
categories of the spec; from audio also with pinyin matching switched off, to show what it adds.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.eval_rules import ALL_CATEGORIES, evaluate, load_truths

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


def from_audio(auditor, truths) -> tuple[list, list, float, float]:
    """Scorecards of every call from its recording; also the flags with pinyin matching off."""
    from auditor.compliance.audit import audit_utterances

    pairs, pairs_no_pinyin = [], []
    audio_s = wall = 0.0
    plain = auditor.analyser.rules.with_pinyin(False)
    for _stem, truth in truths:
        t0 = time.perf_counter()
        card = auditor.audit(SAMPLES / truth["file"])
        wall += time.perf_counter() - t0
        audio_s += card.get("duration_s") or 0.0
        pairs.append((truth.get("expected_flags", []), card["flags"]))
        rule_flags, _ = audit_utterances(card["utterances"], plain)
        other = [f for f in card["flags"] if f.get("via") is None and f["category"] in
                 ("speech_rate_fast", "shouting", "long_silence", "interruption")]
        pairs_no_pinyin.append((truth.get("expected_flags", []), rule_flags + other))
    return pairs, pairs_no_pinyin, audio_s, wall


def main() -> None:
    from auditor.pipeline import Auditor

    truths = load_truths(SAMPLES)
    if not truths:
        raise SystemExit(f"no truth files in {SAMPLES}")
    names = [stem for stem, _ in truths]
    auditor = Auditor()
    print(f"{len(truths)} sample calls, rules {auditor.rules_version}, model {auditor.model_name}")
    truth_report = evaluate(from_truth(auditor, truths), ALL_CATEGORIES, names)
    print(truth_report.format("\n== From the truth transcripts (all categories) =="))
    pairs, pairs_plain, audio_s, wall = from_audio(auditor, truths)
    audio_report = evaluate(pairs, ALL_CATEGORIES, names)
    print(audio_report.format(f"\n== From audio with {auditor.model_name} (all categories) =="))
    plain_report = evaluate(pairs_plain, ALL_CATEGORIES, names)
    print(f"\nfrom audio without pinyin matching: recall {plain_report.recall:.2f}, "
          f"precision {plain_report.precision:.2f}")
    print(f"\naudio {audio_s:.0f} s audited in {wall:.0f} s "
          f"(real-time factor {wall / audio_s:.3f})")
    print(f"\nSummary: truth recall {truth_report.recall:.2f} precision "
          f"{truth_report.precision:.2f} | audio recall {audio_report.recall:.2f} precision "
          f"{audio_report.precision:.2f}")


if __name__ == "__main__":
    main()
