"""What the calls achieved, against the truth files: result, promised amount and due date.

Each truth file (samples/calls, samples/varied) states the call's start (`call_start`) and its
`outcome` (result, amount, due). Three checks per call -- result, amount and due right -- and
the figure is the share of checks right, per group: samples/varied's tuning half, its held-out
half (chosen before any tuning, never tuned on: only its aggregate figure is printed, never
its misses) and samples/calls. Two sources:

1. the truth transcripts (`extract_outcome` on the true utterances and the stated start);
2. the audio: the scorecard of the whole auditor, run once per call with the call's start
   (what `auditor check --metadata` does), its `outcome` block.

Cost: the outcome extraction (the block and the handling flag) against the transcription
time of the same calls (target: under 5%).

``python -m bench.eval_outcome`` runs both (the model is loaded); ``--truth-only`` skips the
audio; ``--errors`` lists the tuning half's and samples/calls' misses; ``--reuse-asr`` keeps the
recogniser's output between runs (``bench.asr_cache``). For work on the extractor alone,
``--keep-cards FILE`` writes each call's audited utterances to FILE and ``--cards FILE`` scores
the outcome again on them without the model (seconds; no transcription time, so no cost line).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CALLS = ROOT / "samples" / "calls"
VARIED = ROOT / "samples" / "varied"
CHECKS = ("result", "amount", "due")
GROUPS = ("varied tuning", "varied held-out", "samples/calls")
TARGETS = {"truth": 0.95, "audio": 0.85}  # held-out half


@dataclass(frozen=True)
class Call:
    """One sample call with outcome truth."""

    group: str
    stem: str
    audio: Path
    truth: dict[str, Any]

    @property
    def heldout(self) -> bool:
        """Held-out calls: figures only, never their misses."""
        return self.group == "varied held-out"


def load_calls() -> list[Call]:
    """Every truth file with an outcome, in group order."""
    calls = []
    for folder in (VARIED, CALLS):
        for path in sorted(folder.glob("*.truth.json")):
            truth = json.loads(path.read_text(encoding="utf-8"))
            if "outcome" not in truth:
                continue
            if folder == CALLS:
                group = "samples/calls"
            else:
                group = "varied held-out" if truth.get("split") == "heldout" else "varied tuning"
            calls.append(Call(group, path.name[: -len(".truth.json")], folder / truth["file"],
                              truth))
    return calls


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, int | float) and isinstance(want, int | float):
        return abs(float(got) - float(want)) < 0.005
    return got == want


def checks(outcome: Mapping[str, Any] | None, truth: Mapping[str, Any]) -> dict[str, bool]:
    """Result, amount and due of an `outcome` block against the truth's."""
    outcome = outcome or {}
    p = outcome.get("promise") or {}
    got = {"result": outcome.get("result"), "amount": p.get("amount"), "due": p.get("due")}
    return {k: _same(got[k], truth.get(k)) for k in CHECKS}


@dataclass
class Tally:
    """Checks right per group, and the misses (outside the held-out half)."""

    right: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def add(self, call: Call, outcome: Mapping[str, Any] | None) -> None:
        """Score one call's outcome."""
        ok = checks(outcome, call.truth["outcome"])
        self.right[call.group] = self.right.get(call.group, 0) + sum(ok.values())
        self.total[call.group] = self.total.get(call.group, 0) + len(ok)
        if not call.heldout and not all(ok.values()):
            p = (outcome or {}).get("promise") or {}
            got = {"result": (outcome or {}).get("result"), "amount": p.get("amount"),
                   "due": p.get("due")}
            wrong = {k: (got[k], call.truth["outcome"].get(k)) for k, v in ok.items() if not v}
            self.misses.append(f"  {call.group}/{call.stem}: {wrong}")

    def share(self, group: str) -> float | None:
        """Share of checks right in a group (None without calls)."""
        t = self.total.get(group, 0)
        return self.right.get(group, 0) / t if t else None

    def format(self, title: str, source: str) -> str:
        """One line per group, the held-out half against its target."""
        lines = [title]
        for g in GROUPS:
            s = self.share(g)
            if s is None:
                continue
            mark = ""
            if g == "varied held-out":
                target = TARGETS[source]
                mark = f"  (target >= {target:.2f}: {'met' if s >= target else 'NOT met'})"
            lines.append(f"  {g:<16} {self.right[g]:>4}/{self.total[g]:<4} = {s:.3f}{mark}")
        return "\n".join(lines)


def from_truth(calls: Iterable[Call]) -> Tally:
    """The extractor on the truth transcripts with the stated call start."""
    from auditor.outcome import extract_outcome

    tally = Tally()
    for c in calls:
        tally.add(c, extract_outcome(c.truth["utterances"], c.truth.get("call_start")))
    return tally


def outcome_seconds(card: Mapping[str, Any], call_start: Any, repeat: int = 5) -> float:
    """Seconds the outcome extraction (block and handling flag) takes on a card's utterances,
    cold: the per-line caches of the sound reading are emptied before each run, as every line of
    a new call is new."""
    from auditor.outcome import extract_outcome, handling_flags, sounds

    utts = card.get("utterances") or []
    spent = 0.0
    for _ in range(repeat):
        sounds.clear_caches()
        t0 = time.perf_counter()
        handling_flags(utts, extract_outcome(utts, call_start))
        spent += time.perf_counter() - t0
    return spent / repeat


def timed_decoder(auditor: Any) -> Callable[[], float]:
    """Wrap the auditor's decoder so its time is summed; returns a reader of the total."""
    transcriber = auditor.transcriber
    decode = transcriber.decode
    spent = [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return decode(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0

    transcriber.decode = timed
    return lambda: spent[0]


@dataclass
class AudioRun:
    """The outcome from audio and what it cost."""

    tally: Tally
    transcribe_s: float
    outcome_s: float
    calls: int


def from_audio(auditor: Any, calls: Iterable[Call],
               cards: Mapping[str, Mapping[str, Any]] | None = None,
               spent: Callable[[], float] | None = None,
               keep: dict[str, Mapping[str, Any]] | None = None) -> AudioRun:
    """Each call's scorecard from its recording with its start (audited once per call).

    `cards` are scorecards the caller made already with the call's start (``bench.eval``
    audits samples/calls for the flag figures), by audio path; `spent` reads the decoding time
    since the caller wrapped the decoder (``timed_decoder``), so their transcription counts.
    `keep`, when given, receives every call's card by audio path.
    """
    cards = dict(cards or {})
    spent = spent or timed_decoder(auditor)
    tally, outcome_s, n = Tally(), 0.0, 0
    for c in calls:
        card = cards.get(str(c.audio))
        if card is None:
            from bench.eval import audit

            card = audit(auditor, c.audio, c.truth.get("call_start"))
        if keep is not None:
            keep[str(c.audio)] = card
        tally.add(c, card.get("outcome"))
        if card.get("status") == "ok":
            outcome_s += outcome_seconds(card, c.truth.get("call_start"))
        n += 1
    return AudioRun(tally, spent(), outcome_s, n)


def keep_cards(path: Path, calls: Iterable[Call], cards: Mapping[str, Mapping[str, Any]]) -> None:
    """Write each call's audited utterances (by audio path) for ``--cards``."""
    kept = {str(c.audio): {"utterances": cards[str(c.audio)].get("utterances") or [],
                           "status": cards[str(c.audio)].get("status")}
            for c in calls if str(c.audio) in cards}
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")


def from_cards(path: Path, calls: Iterable[Call]) -> Tally:
    """The outcome again on kept utterances (``--keep-cards``), without the model."""
    from auditor.outcome import extract_outcome

    kept = json.loads(path.read_text(encoding="utf-8"))
    tally = Tally()
    for c in calls:
        card = kept.get(str(c.audio))
        out = extract_outcome(card["utterances"], c.truth.get("call_start")) if card else None
        tally.add(c, out)
    return tally


def _arg(argv: list[str], name: str) -> Path | None:
    if name in argv and argv.index(name) + 1 < len(argv):
        return Path(argv[argv.index(name) + 1])
    return None


def report(truth: Tally, audio: AudioRun | None, show_errors: bool) -> str:
    """The outcome section of `make eval`."""
    lines = [truth.format("\n== Outcome (result, amount, due right, share of checks): "
                          "truth transcripts ==", "truth")]
    if show_errors and truth.misses:
        lines += ["  misses (tuning half and samples/calls):"] + truth.misses
    if audio is not None:
        lines.append(audio.tally.format("\n== Outcome from audio ==", "audio"))
        if show_errors and audio.tally.misses:
            lines += ["  misses (tuning half and samples/calls):"] + audio.tally.misses
        per_call = 1000 * audio.outcome_s / max(audio.calls, 1)
        if audio.transcribe_s:
            share = audio.outcome_s / audio.transcribe_s
            lines.append(f"\noutcome extraction {per_call:.1f} ms per call, {100 * share:.2f}% of "
                         f"transcription time ({audio.transcribe_s:.0f} s over {audio.calls} "
                         f"calls; target < 5%)")
        else:  # --reuse-asr: nothing was transcribed in this run
            lines.append(f"\noutcome extraction {per_call:.1f} ms per call (no transcription in "
                         f"this run, --reuse-asr: no share; target < 5%)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the outcome figures (truth, and audio unless --truth-only)."""
    argv = sys.argv[1:] if argv is None else argv
    calls = load_calls()
    truth = from_truth(calls)
    audio = None
    kept = _arg(argv, "--cards")
    if kept is not None:
        print(report(truth, None, "--errors" in argv))
        tally = from_cards(kept, calls)
        print(tally.format("\n== Outcome from audio (kept cards) ==", "audio"))
        if "--errors" in argv and tally.misses:
            print("\n".join(["  misses (tuning half and samples/calls):", *tally.misses]))
        return 0
    if "--truth-only" not in argv:
        from auditor.pipeline import Auditor

        cards: dict[str, Mapping[str, Any]] = {}
        audio = from_audio(Auditor(), calls, keep=cards)
        if (out := _arg(argv, "--keep-cards")) is not None:
            keep_cards(out, calls, cards)
    print(report(truth, audio, "--errors" in argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
