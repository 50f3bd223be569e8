"""The agent's speech rate on every sample call: the truth against what the auditor measures.

For each call of samples/calls and of samples/varied (its tuning and held-out halves, fixed
before anything was measured; for the held-out half only aggregate figures are printed):

- the true agent rate: the syllables of the agent's true text (a syllable per Chinese character,
  digits read out, ``auditor.voice.speech_rate.spoken_units``) over the agent's speaking time
  in the truth (the sum of its utterances' spans, which hold no pause of a second or more);
- the measured rate from the truth transcripts with the audio (true texts, times and speakers;
  what ``metrics.measure`` makes of the signal), and, with ``--audio``, from the audio alone (the
  whole auditor: recogniser, attribution, measures; ``--reuse-asr`` keeps the recogniser's output
  between runs through ``bench.eval.audit``);
- the share of calls measured within 10% of the truth, and ``speech_rate_fast`` hits, misses and
  false alarms against each truth file's expected flags.

    python -m bench.bench_speech_rate [--audio [--reuse-asr]] [--set calls|varied]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bench_metrics import truth_utterances
from bench.eval_rules import sample_sets

#: A measured rate counts as right within this share of the truth (issue 13's target).
TOLERANCE = 0.10
FLAG = "speech_rate_fast"


def true_agent_rate(truth: dict[str, Any]) -> float | None:
    """Syllables per minute of the agent's true text over its utterances' spans."""
    from auditor.voice.speech_rate import spoken_units

    agent = [u for u in truth["utterances"] if u["speaker"] == "agent"]
    seconds = sum(float(u["end"]) - float(u["start"]) for u in agent)
    units = sum(spoken_units(u["text"]) for u in agent)
    return units / seconds * 60.0 if seconds > 0 else None


@dataclass
class Tally:
    """Rates within tolerance and flag outcomes of one source on one set."""

    calls: int = 0
    within: int = 0
    errors: list[float] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    false_alarms: int = 0
    expected: int = 0

    def add(self, true_rate: float | None, measured: float | None, expected: bool,
            fired: bool) -> str:
        """Count one call; returns its error text."""
        self.calls += 1
        self.expected += expected
        self.hits += expected and fired
        self.misses += expected and not fired
        self.false_alarms += fired and not expected
        if true_rate is None or measured is None:
            self.errors.append(1.0)
            return "  n/a"
        err = (measured - true_rate) / true_rate
        self.errors.append(abs(err))
        self.within += abs(err) <= TOLERANCE
        return f"{100 * err:+5.1f}%"

    def summary(self) -> str:
        errs = sorted(self.errors)
        med = errs[len(errs) // 2] if errs else 0.0
        worst = errs[-1] if errs else 0.0
        return (f"within 10%: {self.within}/{self.calls} ({self.within / max(self.calls, 1):.2f});"
                f" median |error| {100 * med:.1f}%, worst {100 * worst:.1f}%;  {FLAG}: "
                f"hits {self.hits}/{self.expected}, misses {self.misses}, "
                f"false alarms {self.false_alarms}")


def _from_truth(samples_dir: Path, truth: dict[str, Any], thresholds: dict
                ) -> tuple[float | None, bool]:
    """Agent rate and whether the flag fires, from the true utterances with the audio."""
    from auditor.audio.decode import decode
    from auditor.voice.delivery import delivery_flags
    from auditor.voice.metrics import measure

    audio = decode(samples_dir / truth["file"])
    layout = truth.get("layout") or ("stereo" if audio.samples.ndim == 2
                                     and audio.samples.shape[0] == 2 else "mono")
    utts = truth_utterances(truth)
    metrics, measures = measure(audio.samples, audio.sample_rate, utts, layout)
    flags = delivery_flags(metrics, utts, layout, thresholds, measures)
    return metrics["agent"]["speech_rate_cpm"], any(f["category"] == FLAG for f in flags)


def _from_audio(auditor: Any, samples_dir: Path, truth: dict[str, Any]
                ) -> tuple[float | None, bool]:
    """Agent rate and whether the flag fires, from the recording alone."""
    from bench.eval import audit

    card = audit(auditor, samples_dir / truth["file"], truth.get("call_start"))
    agent = (card.get("metrics") or {}).get("agent") or {}
    return agent.get("speech_rate_cpm"), any(f["category"] == FLAG for f in card["flags"])


def main(argv: list[str]) -> int:
    from auditor.voice.delivery import load_thresholds

    thresholds = load_thresholds()
    sets = sample_sets()
    if "--set" in argv:
        want = argv[argv.index("--set") + 1]
        sets = [s for s in sets if s[0].split()[0].endswith(want)]
    use_audio = "--audio" in argv
    auditor = None
    if use_audio:
        from auditor.pipeline import Auditor

        auditor = Auditor()
    print(f"fast above {thresholds[FLAG]['max_cpm']:.0f} cpm; a rate is right within "
          f"{100 * TOLERANCE:.0f}% of the truth")
    summaries = []
    for name, samples_dir, truths in sets:
        heldout = name.endswith("heldout")
        from_truth, from_audio = Tally(), Tally()
        if not heldout:
            print(f"\n== {name} ({len(truths)} calls) ==")
            print(f"  {'call':44} {'fast':>4} {'truth':>6}   {'w/ truth text':>13} {'err':>6}"
                  + (f"   {'from audio':>10} {'err':>6}" if use_audio else ""))
        for stem, truth in truths:
            expected = FLAG in truth.get("expected_flags", [])
            true_rate = true_agent_rate(truth)
            rate_t, fired_t = _from_truth(samples_dir, truth, thresholds)
            err_t = from_truth.add(true_rate, rate_t, expected, fired_t)
            line = (f"  {stem:44} {'yes' if expected else '':>4} "
                    f"{true_rate or 0:6.0f}   {rate_t or 0:9.0f}{'*' if fired_t else ' ':>4}"
                    f" {err_t:>6}")
            if use_audio:
                rate_a, fired_a = _from_audio(auditor, samples_dir, truth)
                err_a = from_audio.add(true_rate, rate_a, expected, fired_a)
                line += f"   {rate_a or 0:6.0f}{'*' if fired_a else ' ':>4} {err_a:>6}"
            if not heldout:
                print(line)
        if not heldout:
            print("  (* = speech_rate_fast fired)")
        summaries.append((name, from_truth, from_audio if use_audio else None))
    print("\nSummary (agent speech rate against the truth; the held-out half is what counts):")
    for name, t, a in summaries:
        print(f"  {name:26} truth text + audio: {t.summary()}")
        if a is not None:
            print(f"  {'':26} audio alone:        {a.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
