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

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet, load_rules
from auditor.core.vocab import CATEGORIES, RULE_CATEGORIES

ROOT = Path(__file__).resolve().parents[1]

ALL_CATEGORIES = frozenset(CATEGORIES)
DEFAULT_SAMPLES = ROOT / "samples" / "calls"


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


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate the rules on the truth transcripts, with pinyin matching on and off."""
    args = list(sys.argv[1:] if argv is None else argv)
    samples = Path(args[0]) if args else DEFAULT_SAMPLES
    truths = load_truths(samples)
    if not truths:
        print(f"no *.truth.json files in {samples}")
        return 1
    rules = load_rules()
    print(f"Rules {rules.version} on the truth transcripts of {len(truths)} calls "
          f"(categories the rules produce; voice metrics excluded)")
    for on in (True, False):
        report, step_errors = run_on_truths(truths, rules.with_pinyin(on))
        print(report.format(f"\npinyin matching {'on' if on else 'off'}:"))
        n_steps = sum(len(t.get("expected_steps") or {}) for _, t in truths)
        print(f"  script steps agreeing with truth: {n_steps - len(step_errors)}/{n_steps}")
        for e in step_errors:
            print(f"  - {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
