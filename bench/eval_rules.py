"""Score rule output against the sample calls' truth files.

``evaluate(pairs)`` takes, per call, the expected categories and the flags the auditor raised, and
counts per category: hits (expected and flagged), misses (expected, not flagged) and false alarms
(flagged, not expected); a category counts once per call however many flags it has. Only the
categories in ``categories`` are counted: by default the ones the rules produce (the voice-metric
categories speech_rate_fast, shouting, long_silence and interruption are left out); pass
``ALL_CATEGORIES`` when audio metrics are included.

``main()`` runs ``audit_utterances`` on the truth transcripts of every sample call, with pinyin
matching on and off, and prints both reports plus the script-step agreement::

    .venv/bin/python -m bench.eval_rules [samples/calls]
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet, load_rules
from auditor.core.vocab import CATEGORIES, LEXICAL_CATEGORIES, RULE_CATEGORIES

ROOT = Path(__file__).resolve().parents[1]

ALL_CATEGORIES = frozenset(CATEGORIES)
DEFAULT_SAMPLES = ROOT / "samples" / "calls"
VARIED_SAMPLES = ROOT / "samples" / "varied"
SPLITS = ("tuning", "heldout")
"""The halves of samples/varied (each truth file's ``split``, fixed before anything was measured:
samples/varied/README.md). Tune on ``tuning``; ``heldout`` is the figure that counts."""


@dataclass
class CategoryCount:
    """Hits, misses and false alarms of one category."""

    hits: int = 0
    misses: int = 0
    false_alarms: int = 0


@dataclass
class Report:
    """Per-category counts, overall recall and precision, and the calls behind each error."""

    per_category: dict[str, CategoryCount] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return sum(c.hits for c in self.per_category.values())

    @property
    def misses(self) -> int:
        return sum(c.misses for c in self.per_category.values())

    @property
    def false_alarms(self) -> int:
        return sum(c.false_alarms for c in self.per_category.values())

    @property
    def recall(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 1.0

    @property
    def precision(self) -> float:
        total = self.hits + self.false_alarms
        return self.hits / total if total else 1.0

    def summary(self) -> str:
        """Recall and precision only, with their counts (what a held-out half may show)."""
        found = self.hits + self.false_alarms
        return (f"recall {self.recall:.2f} ({self.hits}/{self.hits + self.misses})   "
                f"precision {self.precision:.2f} ({self.hits}/{found})")

    def format(self, title: str = "") -> str:
        """A printable table."""
        lines = [title] if title else []
        lines.append(f"  {'category':34} {'hits':>5} {'misses':>7} {'false alarms':>13}")
        for cat in sorted(self.per_category):
            c = self.per_category[cat]
            lines.append(f"  {cat:34} {c.hits:>5} {c.misses:>7} {c.false_alarms:>13}")
        found = self.hits + self.false_alarms
        lines.append(f"  recall {self.recall:.2f} ({self.hits}/{self.hits + self.misses})   "
                     f"precision {self.precision:.2f} ({self.hits}/{found})")
        lines.extend(f"  - {e}" for e in self.errors)
        return "\n".join(lines)


def evaluate(pairs: Iterable[tuple[Iterable[str], Sequence[dict[str, Any]]]],
             categories: Iterable[str] = RULE_CATEGORIES,
             names: Sequence[str] | None = None) -> Report:
    """Count hits, misses and false alarms over (expected categories, flags) pairs, one per call."""
    cats = frozenset(categories)
    report = Report()
    for n, (expected, flags) in enumerate(pairs):
        name = names[n] if names and n < len(names) else f"call {n + 1}"
        want = {c for c in expected if c in cats}
        got = {f["category"] for f in flags if f.get("category") in cats}
        for cat in want | got:
            cc = report.per_category.setdefault(cat, CategoryCount())
            if cat in want and cat in got:
                cc.hits += 1
            elif cat in want:
                cc.misses += 1
                report.errors.append(f"{name}: missed {cat}")
            else:
                cc.false_alarms += 1
                ev = next((f for f in flags if f.get("category") == cat), {})
                report.errors.append(f"{name}: false alarm {cat} ({ev.get('rule')}: "
                                     f"{ev.get('matched')!r} in {ev.get('evidence')!r})")
        for cat in want:
            report.per_category.setdefault(cat, CategoryCount())
    return report


def load_truths(samples: Path = DEFAULT_SAMPLES) -> list[tuple[str, dict[str, Any]]]:
    """(stem, truth dict) for every <stem>.truth.json in the directory."""
    out = []
    for p in sorted(samples.glob("*.truth.json")):
        out.append((p.name.removesuffix(".truth.json"), json.loads(p.read_text("utf-8"))))
    return out


def split_truths(truths: list[tuple[str, dict[str, Any]]],
                 split: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The calls of one split (``None``: all of them), by each truth file's ``split`` field."""
    return [(stem, t) for stem, t in truths if split is None or t.get("split") == split]


def sample_sets() -> list[tuple[str, Path, list[tuple[str, dict[str, Any]]]]]:
    """(name, directory, truths) of every evaluated sample set: samples/calls whole, then
    samples/varied's tuning and held-out halves (a directory without truth files is left out)."""
    sets = []
    calls = load_truths(DEFAULT_SAMPLES)
    if calls:
        sets.append(("samples/calls", DEFAULT_SAMPLES, calls))
    varied = load_truths(VARIED_SAMPLES)
    for split in SPLITS:
        part = split_truths(varied, split)
        if part:
            sets.append((f"samples/varied {split}", VARIED_SAMPLES, part))
    return sets


def run_on_truths(truths: list[tuple[str, dict[str, Any]]], rules: RuleSet,
                  categories: Iterable[str] = RULE_CATEGORIES) -> tuple[Report, list[str]]:
    """Audit each truth transcript; return the report and the step disagreements."""
    pairs, step_errors = [], []
    for stem, truth in truths:
        flags, steps = audit_utterances(truth.get("utterances", []), rules)
        pairs.append((truth.get("expected_flags", []), flags))
        for sid, want in (truth.get("expected_steps") or {}).items():
            if steps.get(sid) != want:
                step_errors.append(f"{stem}: step {sid} expected {want}, got {steps.get(sid)}")
    return evaluate(pairs, categories, [s for s, _ in truths]), step_errors


# ----------------------------------------------------------------------------- real-wording corpus

CORPUS = ROOT / "corpus" / "real_wording.jsonl"
LEXICAL = LEXICAL_CATEGORIES


def corpus_half(line_id: str) -> str:
    """'heldout' or 'tuning': the fixed split of corpus/README.md (depends on the id only)."""
    return "heldout" if int(hashlib.sha256(line_id.encode("utf-8")).hexdigest(), 16) % 2 else \
        "tuning"


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    """Every labelled line of the real-wording corpus, with its half under the key 'half'."""
    out = []
    for raw in path.read_text("utf-8").splitlines():
        if raw.strip():
            line = json.loads(raw)
            line["half"] = corpus_half(line["id"])
            out.append(line)
    return out


def line_transcript(line: dict[str, Any]) -> list[dict[str, Any]]:
    """A corpus line as a short transcript: its context utterances, then the judged one (last)."""
    utts = [*(line.get("context") or []), {"speaker": line["speaker"], "text": line["text"]}]
    return [{"speaker": u["speaker"], "text": u["text"], "start": float(i * 4),
             "end": float(i * 4 + 3)} for i, u in enumerate(utts)]


def line_categories(line: dict[str, Any], rules: RuleSet) -> set[str]:
    """The lexical categories the rules raise on the judged (last) utterance of a line."""
    utts = line_transcript(line)
    flags, _ = audit_utterances(utts, rules)
    last = utts[-1]["start"]
    return {f["category"] for f in flags if f["category"] in LEXICAL and f["start"] == last}


@dataclass
class CorpusReport:
    """Per-category hits, misses and false alarms on one half of the corpus."""

    half: str
    per_category: dict[str, CategoryCount] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    other: int = 0  # extra categories raised on violation lines (not counted as false alarms)

    def _sum(self, attr: str) -> int:
        return sum(getattr(c, attr) for c in self.per_category.values())

    @property
    def recall(self) -> float:
        h, m = self._sum("hits"), self._sum("misses")
        return h / (h + m) if h + m else 1.0

    @property
    def precision(self) -> float:
        h, f = self._sum("hits"), self._sum("false_alarms")
        return h / (h + f) if h + f else 1.0

    def format(self, title: str, show_errors: bool = False) -> str:
        """A printable table (per category recall/precision, then overall)."""
        lines = [title, f"  {'category':26} {'hits':>5} {'misses':>7} {'false al.':>10} "
                        f"{'recall':>7} {'precision':>10}"]
        for cat in LEXICAL:
            c = self.per_category.get(cat, CategoryCount())
            rec = c.hits / (c.hits + c.misses) if c.hits + c.misses else 1.0
            pre = c.hits / (c.hits + c.false_alarms) if c.hits + c.false_alarms else 1.0
            lines.append(f"  {cat:26} {c.hits:>5} {c.misses:>7} {c.false_alarms:>10} "
                         f"{rec:>7.2f} {pre:>10.2f}")
        h, m, f = self._sum("hits"), self._sum("misses"), self._sum("false_alarms")
        lines.append(f"  overall recall {self.recall:.2f} ({h}/{h + m})   precision "
                     f"{self.precision:.2f} ({h}/{h + f})   [violation lines also raising "
                     f"another category: {self.other}]")
        if show_errors:
            lines.extend(f"  - {e}" for e in self.errors)
        return "\n".join(lines)


def evaluate_corpus(lines: Iterable[dict[str, Any]], rules: RuleSet, half: str) -> CorpusReport:
    """Score one half: a violation line is found when it raises its category; a lexical flag on
    a compliant line (or any customer line) is a false alarm, per category. Another category
    raised on a violation line is counted apart (``other``). Errors are listed by id and text:
    print them for the tuning half only, never for the held-out half."""
    rep = CorpusReport(half=half)
    for line in lines:
        if line["half"] != half:
            continue
        got = line_categories(line, rules)
        want: set[str] = set()
        if line["category"] != "compliant" and line["speaker"] == "agent":
            want = {line["category"], *(line.get("also") or [])} & set(LEXICAL)
        main_cat = line["category"]
        if main_cat in LEXICAL:
            cc = rep.per_category.setdefault(main_cat, CategoryCount())
            if main_cat in got:
                cc.hits += 1
            else:
                cc.misses += 1
                rep.errors.append(f"{line['id']}: missed {main_cat}: {line['text']}")
        for cat in got - want:
            if want or line["category"] in LEXICAL:
                rep.other += 1  # a violation line that also raises another category
                continue
            rep.per_category.setdefault(cat, CategoryCount()).false_alarms += 1
            rep.errors.append(f"{line['id']}: false alarm {cat}: {line['text']}")
    return rep


def corpus_report(rules: RuleSet, show_tuning_errors: bool = False) -> str:
    """Both halves of the real-wording corpus; only the tuning half's errors are ever listed."""
    lines = load_corpus()
    tun = evaluate_corpus(lines, rules, "tuning")
    held = evaluate_corpus(lines, rules, "heldout")
    n_t = sum(1 for x in lines if x["half"] == "tuning")
    return "\n".join([
        tun.format(f"\n== Real-wording corpus, tuning half ({n_t} lines) ==", show_tuning_errors),
        held.format(f"\n== Real-wording corpus, HELD-OUT half ({len(lines) - n_t} lines; "
                    f"aggregate figures only) =="),
    ])


def time_rules(truths: list[tuple[str, dict[str, Any]]], rules: RuleSet) -> tuple[float, float]:
    """(mean seconds of rules per call, mean call length in seconds) over the truth transcripts."""
    import time

    total = dur = 0.0
    for _, truth in truths:
        t0 = time.perf_counter()
        audit_utterances(truth.get("utterances", []), rules)
        total += time.perf_counter() - t0
        ends = [float(u.get("end", 0.0) or 0.0) for u in truth.get("utterances", [])]
        dur += max(ends, default=0.0)
    n = max(len(truths), 1)
    return total / n, dur / n


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate the rules on the truth transcripts, with pinyin matching on and off.

    A directory whose truth files carry a ``split`` (samples/varied) is reported per split.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    samples = Path(args[0]) if args else DEFAULT_SAMPLES
    truths = load_truths(samples)
    if not truths:
        print(f"no *.truth.json files in {samples}")
        return 1
    rules = load_rules()
    splits = [sp for sp in SPLITS if split_truths(truths, sp)] or [None]
    for split in splits:
        part = split_truths(truths, split)
        print(f"Rules {rules.version} on the truth transcripts of {len(part)} calls"
              f"{f' ({split} half)' if split else ''} (categories the rules produce; voice "
              f"metrics excluded)")
        for on in (True, False):
            report, step_errors = run_on_truths(part, rules.with_pinyin(on))
            title = f"\npinyin matching {'on' if on else 'off'}:"
            n_steps = sum(len(t.get("expected_steps") or {}) for _, t in part)
            if split == "heldout":  # aggregate figures only: the held-out half is not tuned on
                print(f"{title}\n  {report.summary()}")
                print(f"  script steps agreeing with truth: {n_steps - len(step_errors)}/{n_steps}")
                continue
            print(report.format(title))
            print(f"  script steps agreeing with truth: {n_steps - len(step_errors)}/{n_steps}")
            for e in step_errors:
                print(f"  - {e}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
