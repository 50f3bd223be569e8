"""`make eval`: flags found against the truth files of the sample calls, from two sources.

Sample sets: ``samples/calls`` (the 22 calls the product was built on) and ``samples/varied``
(75 calls of drawn voices, codecs, noise and wording), the latter reported as its two halves,
``tuning`` and ``heldout``, fixed before anything was measured (samples/varied/README.md). For
the held-out half only aggregate figures are printed, so nothing is tuned on its errors.

1. Truth transcripts: each call's true utterances (text, times, speakers) with its audio, so
   the rules and voice-metric flags are measured apart from ASR errors.
2. Audio: the whole auditor (ASR, attribution, metrics, rules) on the recording, the model run
   once per call; the flags with pinyin matching off are re-derived from the same scorecard.

4. The outcome (``bench.eval_outcome``): result, amount and due right, from the truth
   transcripts and from audio (the audio path runs once per call: samples/calls' scorecards
   above are reused), for samples/varied's tuning and held-out halves and samples/calls, and
   the extraction's cost as a share of transcription time.

3. The real-wording corpus (corpus/real_wording.jsonl): recall and precision per category for
   the tuning half and the held-out half (aggregate figures only for the held-out half).

``--reuse-asr`` keeps the recogniser's output between runs (bench.asr_cache) for work on the
stages after it; figures to report are made without it.

``python -m bench.eval --truth-only`` skips the model: truth transcripts (rules only), the corpus
and the rules' time per call; ``--errors`` also lists the tuning half's misses. ``--set calls``
or ``--set varied`` evaluates one sample directory only, ``--set tuning`` (or ``heldout``) one
half of samples/varied; with ``--set`` the outcome is that of the chosen sets alone, and the
corpus is left out. ``--help`` prints this text; an option not named here is refused.

``--dir PATH`` evaluates a directory of varied-format calls instead (audio + ``<stem>.truth.json``,
e.g. the dev set drawn by ``samples/generator/dev.py`` outside the repository), reported as
``dev`` with its errors listed: the flags from truth transcripts and from audio, and the outcome
from audio. It works with ``--reuse-asr`` (the cache keys on each recording's sha256) and with
``--truth-only`` (rules on the truth transcripts, no model).

For each source: recall and precision over the 16 categories of the spec (a category counts once
per call), and for the sets that are not held out the per-category hits, misses and false alarms.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.eval_rules import (
    ALL_CATEGORIES,
    Report,
    corpus_report,
    evaluate,
    load_truths,
    run_on_truths,
    sample_sets,
    time_rules,
)

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = ROOT / "samples" / "calls"


@dataclass
class SetResult:
    """The figures of one sample set (or half): from truth transcripts and from audio."""

    name: str
    calls: int
    truth: Report | None = None
    audio: Report | None = None
    audio_plain: Report | None = None
    # the flags raised without `uncertain` only: what a QA team can take as they stand (the
    # headline figure above counts every flag, certain or not)
    audio_certain: Report | None = None
    audio_s: float = 0.0
    wall_s: float = 0.0
    uncertain: int = 0
    flags: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def heldout(self) -> bool:
        return self.name.endswith("heldout")


def from_truth(auditor, truths, samples: Path = SAMPLES) -> list:
    """Flags of every call from its truth transcript (speakers known) and its audio."""
    from auditor.asr.transcript import normalise_utterances
    from auditor.audio.decode import decode

    pairs = []
    for _stem, truth in truths:
        audio = decode(samples / truth["file"])
        utterances = normalise_utterances(truth["utterances"])
        if truth.get("layout") == "stereo":
            agent = truth.get("agent_channel") or 0
            for u in utterances:
                u["channel"] = agent if u["speaker"] == "agent" else 1 - agent
        analysis = auditor.analyser.analyse(utterances, audio, truth.get("layout"),
                                            attribute_mono=False)
        pairs.append((truth.get("expected_flags", []), analysis.flags))
    return pairs


def from_audio(auditor, truths, samples: Path = SAMPLES, cards: dict | None = None
               ) -> tuple[list, list, float, float]:
    """Scorecards of every call from its recording, dated by its start (so the outcome is
    resolved; kept in `cards` by path when given); also the flags with pinyin matching off."""

    from auditor.compliance.audit import audit_utterances

    pairs, pairs_no_pinyin = [], []
    audio_s = wall = 0.0
    plain = auditor.analyser.rules.with_pinyin(False)
    for _stem, truth in truths:
        t0 = time.perf_counter()
        card = audit(auditor, samples / truth["file"], truth.get("call_start"))
        if cards is not None:
            cards[str(samples / truth["file"])] = card
        wall += time.perf_counter() - t0
        audio_s += card.get("duration_s") or 0.0
        pairs.append((truth.get("expected_flags", []), card["flags"]))
        rule_flags, _ = audit_utterances(card["utterances"], plain)
        other = [f for f in card["flags"] if f.get("via") is None and f["category"] in
                 ("speech_rate_fast", "shouting", "long_silence", "interruption")]
        pairs_no_pinyin.append((truth.get("expected_flags", []), rule_flags + other))
    return pairs, pairs_no_pinyin, audio_s, wall


def certain_only(pairs: list[tuple[Any, list[dict]]]) -> list[tuple[Any, list[dict]]]:
    """The (expected, flags) pairs with every flag raised ``uncertain`` left out."""
    return [(expected, [f for f in flags if not f.get("uncertain")]) for expected, flags in pairs]


def audit(auditor, path: Path, call_start: str | None) -> dict:
    """One call's scorecard from its recording; with ``--reuse-asr`` the recogniser's output is
    kept between runs (bench.asr_cache), so only what comes after it is run again."""
    if "--reuse-asr" not in sys.argv:
        return auditor.audit(path, call_start=call_start)
    from auditor.audio.decode import decode
    from auditor.core.hashing import file_sha256
    from bench import asr_cache

    audio = decode(path)
    heard = asr_cache.heard(auditor, path, audio, asr_cache.hearing_digest(auditor.model_name))
    return auditor.audit_audio(audio, str(path), file_sha256(path), call_start=call_start,
                               heard=heard)


DEV = "dev"


def _dir_arg() -> Path | None:
    """The directory of ``--dir PATH`` (None without it)."""
    if "--dir" not in sys.argv:
        return None
    i = sys.argv.index("--dir")
    if i + 1 >= len(sys.argv):
        raise SystemExit("--dir needs a directory of calls with <stem>.truth.json files")
    path = Path(sys.argv[i + 1])
    if not path.is_dir():
        raise SystemExit(f"--dir {path}: no such directory")
    return path


# the options main() reads (those taking a value after them in VALUED)
FLAGS = ("--truth-only", "--corpus-only", "--errors", "--reuse-asr")
VALUED = ("--dir", "--set")


def _check_argv(argv: list[str]) -> None:
    """``--help`` prints the module text and stops; any option not read here is refused (a
    mistyped option would otherwise run the whole evaluation, held-out half included)."""
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        raise SystemExit(0)
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in VALUED:
            i += 2
            continue
        if arg not in FLAGS:
            raise SystemExit(f"bench.eval: unknown option {arg!r} (see --help)")
        i += 1


def _set_words(name: str) -> list[str]:
    """The words a set can be chosen by: samples/varied tuning -> samples, varied, tuning."""
    return name.replace("/", " ").split()


def _chosen_sets() -> list:
    """The sample sets asked for on the command line (``--dir PATH``: that directory alone, as
    ``dev``; ``--set calls|varied|tuning|heldout``; default all)."""
    folder = _dir_arg()
    if folder is not None:
        truths = load_truths(folder)
        return [(DEV, folder, truths)] if truths else []
    sets = sample_sets()
    if "--set" in sys.argv:
        i = sys.argv.index("--set")
        want = sys.argv[i + 1] if i + 1 < len(sys.argv) else ""
        chosen = [s for s in sets if want in _set_words(s[0])[1:]]
        if not chosen:
            words = sorted({w for s in sets for w in _set_words(s[0])[1:]})
            raise SystemExit(f"--set {want!r}: none of {', '.join(words)}")
        sets = chosen
    return sets


# bench.eval_outcome's group of each sample set
OUTCOME_GROUP = {"samples/calls": "samples/calls", "samples/varied tuning": "varied tuning",
                 "samples/varied heldout": "varied held-out"}


def _show(report: Report, title: str, heldout: bool) -> str:
    """The table with the calls behind each error; for a held-out half the counts only."""
    return Report(report.per_category).format(title) if heldout else report.format(title)


def truth_only() -> None:
    """Without the model: rules on the truth transcripts, the corpus halves, rule timing."""
    from auditor.compliance.rules import load_rules

    rules = load_rules()
    rows = []
    sets = _chosen_sets()
    for name, _samples, truths in sets:
        report, step_errors = run_on_truths(truths, rules)
        heldout = name.endswith("heldout")
        print(_show(report, f"== {name}: from the truth transcripts, rules only "
                            f"({len(truths)} calls, rules {rules.version}) ==", heldout))
        print(f"  script steps disagreeing with truth: {len(step_errors)}\n")
        rows.append((name, report))
    if _dir_arg() is not None:
        _dir_outcome(sets[0][1], sets[0][2], None, truth_only=True)
        print("\nSummary (rule categories, truth transcripts):")
        for name, report in rows:
            print(f"  {name:26} {report.summary()}")
        return
    print(corpus_report(rules, show_tuning_errors="--errors" in sys.argv))
    truths = load_truths(SAMPLES)
    per_call, length = time_rules(truths, rules)
    print(f"\nrules per call {per_call:.3f} s (mean call {length:.0f} s)")
    print("\nSummary (rule categories, truth transcripts):")
    for name, report in rows:
        print(f"  {name:26} {report.summary()}")

    from bench import eval_outcome

    outcome_calls = eval_outcome.load_calls()
    print(eval_outcome.report(eval_outcome.from_truth(outcome_calls), None,
                              "--errors" in sys.argv))


def run_set(auditor, name: str, samples: Path, truths: list, cards: dict | None = None
            ) -> SetResult:
    """Truth-transcript and audio figures of one sample set; the model runs once per call."""
    names = [stem for stem, _ in truths]
    res = SetResult(name, len(truths))
    res.truth = evaluate(from_truth(auditor, truths, samples), ALL_CATEGORIES, names)
    print(_show(res.truth, f"\n== {name}: from the truth transcripts ({len(truths)} calls, "
                           "16 categories) ==", res.heldout))
    pairs, pairs_plain, res.audio_s, res.wall_s = from_audio(auditor, truths, samples, cards)
    res.audio = evaluate(pairs, ALL_CATEGORIES, names)
    res.audio_plain = evaluate(pairs_plain, ALL_CATEGORIES, names)
    res.audio_certain = evaluate(certain_only(pairs), ALL_CATEGORIES, names)
    res.flags = sum(len(flags) for _, flags in pairs)
    res.uncertain = sum(bool(f.get("uncertain")) for _, flags in pairs for f in flags)
    print(_show(res.audio, f"\n== {name}: from audio with {auditor.model_name} "
                           "(16 categories) ==", res.heldout))
    print(f"  without pinyin matching: {res.audio_plain.summary()}")
    print(f"  certain flags only: {res.audio_certain.summary()}")
    print(f"  {res.uncertain} of {res.flags} flags raised uncertain; audio {res.audio_s:.0f} s "
          f"audited in {res.wall_s:.0f} s (real-time factor "
          f"{res.wall_s / max(res.audio_s, 1e-9):.3f})")
    return res


def _dir_calls(folder: Path, truths: list) -> list:
    """The ``--dir`` calls that state an outcome, as bench.eval_outcome calls of group dev."""
    from bench.eval_outcome import Call

    return [Call(DEV, stem, folder / t["file"], t) for stem, t in truths if "outcome" in t]


def _dir_outcome(folder: Path, truths: list, cards: dict | None,
                 truth_only: bool = False) -> None:
    """The ``--dir`` set's outcome (result, amount, due right): from its truth transcripts, and
    from audio with the scorecards already made (`cards`, by audio path)."""
    from bench.eval_outcome import Tally, from_truth

    calls = _dir_calls(folder, truths)
    if not calls:
        return
    show = "--errors" in sys.argv
    sources = [("truth transcripts", from_truth(calls))]
    if not truth_only and cards is not None:
        tally = Tally()
        for c in calls:
            tally.add(c, (cards.get(str(c.audio)) or {}).get("outcome"))
        sources.append(("audio", tally))
    for label, tally in sources:
        print(f"\n== {DEV}: outcome from {label} == {tally.right.get(DEV, 0)}/"
              f"{tally.total.get(DEV, 0)} = {tally.share(DEV) or 0.0:.3f}")
        if show and tally.misses:
            print("\n".join(tally.misses))


def main() -> None:
    _check_argv(sys.argv[1:])
    if "--truth-only" in sys.argv or "--corpus-only" in sys.argv:
        truth_only()
        return
    sets = _chosen_sets()
    if not sets:
        raise SystemExit("no truth files in samples/calls or samples/varied (or in --dir)")
    from auditor.compliance.rules import load_rules
    from auditor.pipeline import Auditor

    auditor = Auditor()
    print(f"sample sets: {', '.join(f'{n} ({len(t)} calls)' for n, _, t in sets)}; rules "
          f"{auditor.rules_version}, model {auditor.model_name}")
    from bench import eval_outcome

    spent = eval_outcome.timed_decoder(auditor)
    cards: dict = {}
    results = [run_set(auditor, name, samples, truths, cards)
               for name, samples, truths in sets]
    if _dir_arg() is not None:
        _dir_outcome(sets[0][1], sets[0][2], cards)
        print("\nSummary (16 categories):")
        for r in results:
            print(f"  {r.name:8} truth {r.truth.summary()} | audio {r.audio.summary()} | "
                  f"uncertain flags {r.uncertain}/{r.flags} | certain only "
                  f"{r.audio_certain.summary()}")
        return
    chosen = "--set" in sys.argv
    rules = load_rules()
    if not chosen:
        print(corpus_report(rules))
    truths = load_truths(SAMPLES)
    per_call, length = time_rules(truths, rules)
    audio_s = sum(r.audio_s for r in results)
    wall = sum(r.wall_s for r in results)
    calls = sum(r.calls for r in results)
    print(f"\nrules per call {per_call:.3f} s (mean call {length:.0f} s); audio {audio_s:.0f} s "
          f"audited in {wall:.0f} s, {wall / max(calls, 1):.1f} s per call (real-time factor "
          f"{wall / max(audio_s, 1e-9):.3f})")
    print("\nSummary (16 categories; the held-out half is the figure that counts):")
    print(f"  {'set':26} {'truth recall':>12} {'precision':>9}   {'audio recall':>12} "
          f"{'precision':>9}   uncertain flags   certain only (recall / precision)")
    for r in results:
        print(f"  {r.name:26} {r.truth.recall:>12.2f} {r.truth.precision:>9.2f}   "
              f"{r.audio.recall:>12.2f} {r.audio.precision:>9.2f}   {r.uncertain:>3}/{r.flags:<3}"
              f"           {r.audio_certain.recall:.2f} / {r.audio_certain.precision:.2f}")
    outcome_calls = eval_outcome.load_calls()
    if chosen:  # only the chosen sets' calls are heard for the outcome
        groups = {OUTCOME_GROUP[name] for name, _, _ in sets}
        outcome_calls = [c for c in outcome_calls if c.group in groups]
    outcome_truth = eval_outcome.from_truth(outcome_calls)
    outcome_audio = eval_outcome.from_audio(auditor, outcome_calls, cards, spent)
    print(eval_outcome.report(outcome_truth, outcome_audio, "--errors" in sys.argv))
    held = "varied held-out"
    if outcome_truth.share(held) is not None:
        print(f"\nSummary: outcome held-out truth {outcome_truth.share(held):.3f} | audio "
              f"{outcome_audio.tally.share(held):.3f}")


if __name__ == "__main__":
    main()
