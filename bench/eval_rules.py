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

The example layer (``auditor.compliance.similar``) is decided by a leave-one-group-out estimate
over the lines it may learn from (dev files, the corpus tuning half by source kind, compliant
sample-call lines; never a held-out line): (a) today's rules alone, (b) rules + layer, (c) the
layer alone, a threshold sweep and each fold; ``--cv-history`` judges a dev set with the rules of
the commit before its round (``HISTORIC_FOLDS``), the honest "wording never seen" figure::

    .venv/bin/python -m bench.eval_rules --cv [--threshold T] [--strength C] [--errors]
    .venv/bin/python -m bench.eval_rules --cv-history [--threshold T] [--strength C]
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
from auditor.compliance.similar import LayerSettings
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

CORPUS = ROOT / "corpus" / "real_wording.jsonl"  # the held-out half
EXAMPLES = ROOT / "auditor" / "compliance" / "packs" / "examples"
CORPUS_TUNING = EXAMPLES / "corpus_tuning.jsonl"  # the tuning half: the layer's examples
CORPUS_FILES = (CORPUS, CORPUS_TUNING)
LEXICAL = LEXICAL_CATEGORIES


def corpus_half(line_id: str) -> str:
    """'heldout' or 'tuning': the fixed split of corpus/README.md (depends on the id only)."""
    return "heldout" if int(hashlib.sha256(line_id.encode("utf-8")).hexdigest(), 16) % 2 else \
        "tuning"


def load_corpus(paths: Sequence[Path] = CORPUS_FILES) -> list[dict[str, Any]]:
    """Every labelled line of the real-wording corpus, with its half under the key 'half' (by
    the id, never by the file: corpus/real_wording.jsonl holds the held-out half, the tuning
    half is the example file packs/examples/corpus_tuning.jsonl, one copy of each line)."""
    out = []
    for path in paths:
        for raw in path.read_text("utf-8").splitlines():
            if raw.strip():
                line = json.loads(raw)
                line["half"] = corpus_half(line["id"])
                out.append(line)
    return sorted(out, key=lambda x: x["id"])


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
        count_line(rep, line, line_categories(line, rules))
    return rep


def count_line(rep: CorpusReport, line: dict[str, Any], got: set[str]) -> None:
    """Add one labelled line, raised as ``got``, to ``rep``: a hit or a miss of its category,
    and a false alarm for every category a compliant (or customer's) line raises. A violation
    line raising another category as well counts in ``rep.other``, not as a false alarm."""
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
        if want or main_cat in LEXICAL:
            rep.other += 1  # a violation line that also raises another category
            continue
        rep.per_category.setdefault(cat, CategoryCount()).false_alarms += 1
        rep.errors.append(f"{line['id']}: false alarm {cat}: {line['text']}")


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
    if args and args[0] in ("--cv", "--cv-history"):
        opts = {k: v for k, v in zip(args, [*args[1:], ""], strict=True)
                if k in ("--threshold", "--strength")}
        t = float(opts["--threshold"]) if "--threshold" in opts else None
        s = float(opts["--strength"]) if "--strength" in opts else None
        if args[0] == "--cv-history":
            print(history_report(t, s))
        else:
            print(cv_report(load_rules(), t, s, show_errors="--errors" in args))
        return 0
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



# ----------------------------------------------------------------------------- example-layer CV

# the dev sets: the older ones are example files; a round's new set stays in tests/data (it is
# no example, so the shipped layer has never seen it)
DEV_FILES = sorted([*EXAMPLES.glob("rules_dev*.jsonl"),
                    *(ROOT / "tests" / "data").glob("rules_dev*.jsonl")], key=lambda p: p.name)
CV_THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CV_STRENGTHS = (3.0, 10.0, 30.0, 100.0)
# Dev sets written before their round's rule changes, with the last commit before that round:
# the rules of that commit never saw the set's wording, so (a) is an honest "never seen" figure,
# and (b) adds the layer fitted on every other group with that commit's word classes.
HISTORIC_FOLDS = (("rules_dev_rules6", "21eaa85"), ("rules_dev8", "deeabc1"),
                  ("rules_dev9", "3141330"), ("rules_dev10", "24d634a"), ("rules_dev11", "ff95936"),
                  ("rules_dev12", "196a063"), ("rules_dev13", "7aaf150"))


def cv_lines() -> list[dict[str, Any]]:
    """Every line the example layer may learn from, each with its ``group`` (one fold of the
    leave-one-group-out estimate): each dev file; the corpus TUNING half by source kind; the
    agent and customer lines of the sample calls (samples/calls, samples/varied tuning) whose
    truth expects no lexical flag, as compliant lines; each other TOML example file (the hard
    negatives). No held-out line is read."""
    from auditor.compliance.similar import example_files, read_examples

    out: list[dict[str, Any]] = []
    for f in DEV_FILES:
        for raw in f.read_text("utf-8").splitlines():
            if raw.strip():
                out.append({**json.loads(raw), "group": f.stem})
    for f in example_files(EXAMPLES):
        if f.suffix == ".toml" and not f.name.startswith("samples_"):  # samples: read below
            out.extend({"id": f"{f.stem}#{n}", "category": e.category, "speaker": "agent",
                        "text": e.text, "group": f.stem}
                       for n, e in enumerate(read_examples([f])[0]))
    for line in load_corpus():
        if line["half"] == "tuning":
            out.append({**line, "group": f"corpus:{line.get('source_kind', '?')}"})
    calls = [("samples/calls", t) for _, t in load_truths(DEFAULT_SAMPLES)]
    calls += [("samples/varied tuning", t)
              for _, t in split_truths(load_truths(VARIED_SAMPLES), "tuning")]
    for group, truth in calls:
        if set(truth.get("expected_flags") or []) & set(LEXICAL):
            continue  # a violating call's lines are not labelled one by one
        for n, u in enumerate(truth.get("utterances") or []):
            if u.get("speaker") in ("agent", "customer") and str(u.get("text", "")).strip():
                out.append({"id": f"{group}#{n}", "category": "compliant",
                            "speaker": u["speaker"], "text": u["text"], "group": group})
    return out


def examples_of(lines: Iterable[dict[str, Any]]) -> list[Any]:
    """The agent lines as layer examples (a customer's words are never an agent example)."""
    from auditor.compliance.similar import Example

    return [Example(x["category"], x["text"], x["group"]) for x in lines
            if x["speaker"] == "agent"
            and (x["category"] == "compliant" or x["category"] in LEXICAL)]


@dataclass
class CvResult:
    """Per line: the rules' categories and the layer's probability per category."""

    lines: list[dict[str, Any]]
    rules_cats: list[set[str]]
    scores: list[dict[str, tuple[float, float]]]  # category -> (probability, similarity)
    support: list[dict[str, set[str]]]  # gate -> the categories the rules corroborate (line i)
    categories: frozenset[str] = frozenset(LEXICAL)  # the ones the layer may raise
    gate: str = "none"  # similar.GATES
    gates: dict[str, str] = field(default_factory=dict)  # a category's own gate
    thresholds: dict[str, float] = field(default_factory=dict)  # a category's own threshold

    def layer_cats(self, i: int, threshold: float) -> set[str]:
        """The categories the layer raises on line i (agent lines only), through the gate; a
        category's own threshold ([layer.thresholds]) wins over `threshold`."""
        if self.lines[i]["speaker"] != "agent":
            return set()
        return {c for c, (p, _) in self.scores[i].items()
                if p >= self.thresholds.get(c, threshold) and c in self.categories
                and c in self.support[i][self.gates.get(c, self.gate)]}

    def report(self, threshold: float | None, groups: Iterable[str] | None = None,
               rules: bool = True) -> CorpusReport:
        """Score (a) the rules alone (``threshold`` None), (b) rules + layer, or (c) the layer
        alone (``rules`` false), the way the corpus is scored."""
        keep = set(groups) if groups is not None else None
        rep = CorpusReport(half="cv")
        for i, line in enumerate(self.lines):
            if keep is not None and line["group"] not in keep:
                continue
            got = set(self.rules_cats[i]) if rules else set()
            if threshold is not None:
                got |= self.layer_cats(i, threshold)
            count_line(rep, line, got)
        return rep


def _fold_scores(train: list[dict[str, Any]], test: list[dict[str, Any]],
                 classes: dict[str, str], strength: float,
                 ) -> list[dict[str, tuple[float, float]]]:
    from auditor.compliance.similar import fit

    layer = fit(examples_of(train), classes, 1.0, strength)
    return [{v.category: (v.score, v.similarity) for v in row}
            for row in layer.judge_many([x["text"] for x in test])]


def line_support(text: str, rules: RuleSet) -> dict[str, set[str]]:
    """Per gate (matching.GATES), the lexical categories the rules corroborate on a line."""
    from auditor.compliance.matching import analyse, layer_support
    from auditor.compliance.similar import GATES

    a = analyse(text, rules)
    return {g: {c for c in LEXICAL if layer_support(c, a, rules, g)} for g in GATES}


def run_cv(rules: RuleSet, strength: float) -> CvResult:
    """Leave one group out: fit the layer on every other group's agent lines, judge this one."""
    from dataclasses import replace

    from auditor.compliance.similar import class_members

    lines = cv_lines()
    classes = class_members(rules.concepts)
    alone = replace(rules, examples=None)  # (a) is the rules without the shipped layer
    rules_cats = [line_categories(x, alone) for x in lines]
    support = [line_support(x["text"], alone) for x in lines]
    scores: list[dict[str, tuple[float, float]]] = [{} for _ in lines]
    for g in sorted({x["group"] for x in lines}):
        idx = [i for i, x in enumerate(lines) if x["group"] == g]
        got = _fold_scores([x for x in lines if x["group"] != g], [lines[i] for i in idx],
                           classes, strength)
        for i, sc in zip(idx, got, strict=True):
            scores[i] = sc
    return CvResult(lines, rules_cats, scores, support)


def _shipped() -> LayerSettings:
    """The shipped [layer] settings (threshold, strength, the categories it may raise, the
    gate, the categories' own gates and thresholds), read as the product reads them."""
    from auditor.compliance.similar import example_files, read_examples

    return LayerSettings.from_table(read_examples(example_files())[1])


def _gates(cv: CvResult, threshold: float) -> list[str]:
    """(b) at `threshold` through each gate, every category alike, then through the shipped
    gates and thresholds: overall, then recall (precision) per category."""
    from auditor.compliance.similar import GATES

    keep, kept, own, out = cv.gate, cv.gates, cv.thresholds, []
    for g in (*GATES, "shipped"):
        cv.gate, cv.gates, cv.thresholds = (keep, kept, own) if g == "shipped" else (g, {}, {})
        b = cv.report(threshold)
        per = []
        for cat in LEXICAL:
            c = b.per_category.get(cat, CategoryCount())
            rec = c.hits / (c.hits + c.misses) if c.hits + c.misses else 1.0
            pre = c.hits / (c.hits + c.false_alarms) if c.hits + c.false_alarms else 1.0
            per.append(f"{cat[:12]} {rec:.2f}" + (f" ({pre:.2f})" if pre < 1 else ""))
        out.append(f"  gate {g:7} recall {b.recall:.3f} precision {b.precision:.3f}: "
                   + ", ".join(per))
    cv.gate, cv.gates, cv.thresholds = keep, kept, own
    return out


def _sweep(cv: CvResult) -> list[str]:
    """(b) and (c) at each threshold of CV_THRESHOLDS for every category (the categories' own
    thresholds set aside)."""
    out, own = [], cv.thresholds
    cv.thresholds = {}
    for t in CV_THRESHOLDS:
        b, c = cv.report(t), cv.report(t, rules=False)
        fa = sum(x.false_alarms for x in b.per_category.values())
        out.append(f"  threshold {t:.2f}: (b) recall {b.recall:.2f} precision {b.precision:.2f} "
                   f"(false alarms {fa})   (c) recall {c.recall:.2f} precision {c.precision:.2f}")
    cv.thresholds = own
    return out


def cv_report(rules: RuleSet, threshold: float | None = None, strength: float | None = None,
              show_errors: bool = False) -> str:
    """The leave-one-group-out estimate: (a) rules alone, (b) rules + example layer and (c) the
    layer alone at the shipped (or given) settings, a threshold sweep, and each fold."""
    shipped = _shipped()
    t0, s0, own = shipped.threshold, shipped.strength, dict(shipped.thresholds)
    cats, gate, gates = frozenset(shipped.categories), shipped.gate, dict(shipped.gates)
    t = t0 if threshold is None else threshold
    s = s0 if strength is None else strength
    cv = run_cv(rules, s)
    cv.categories, cv.gate, cv.gates = cats, gate, gates
    cv.thresholds = own if threshold is None else {}
    groups = sorted({x["group"] for x in cv.lines})
    out = [f"Leave-one-group-out over {len(groups)} groups, {len(cv.lines)} lines "
           f"(dev files, corpus tuning half by source kind, compliant sample-call lines); "
           f"model strength {s}; the layer raises {', '.join(sorted(cv.categories))}; "
           f"gate {cv.gate} {cv.gates or ''}; own thresholds {cv.thresholds or 'none'}",
           cv.report(None).format("\n(a) rules alone:", show_errors),
           cv.report(t).format(f"\n(b) rules + example layer (threshold {t}):", show_errors),
           cv.report(t, rules=False).format(f"\n(c) example layer alone (threshold {t}):"),
           "\nthreshold sweep:", *_sweep(cv),
           f"\ngates (b, threshold {t}):", *_gates(cv, t),
           "\nper fold: group, violations found (a -> b), false alarms (a -> b)"]
    for g in groups:
        a, b = cv.report(None, groups=[g]), cv.report(t, groups=[g])
        n = sum(c.hits + c.misses for c in a.per_category.values())
        ha, hb = (sum(c.hits for c in r.per_category.values()) for r in (a, b))
        fa, fb = (sum(c.false_alarms for c in r.per_category.values()) for r in (a, b))
        n_ok = sum(1 for x in cv.lines if x["group"] == g and x["category"] == "compliant")
        out.append(f"  {g:40} {ha:>3} -> {hb:<3} of {n:<4} false alarms {fa} -> {fb} "
                   f"on {n_ok} compliant lines")
    return "\n".join(out)


_OLD_RUN = r"""
from __future__ import annotations
import json, sys
from auditor.compliance.audit import audit_utterances
from auditor.compliance.matching import Analysed, _quoted, analyse, term_spans
from auditor.compliance.tokens import sentence_spans
from auditor.compliance.rules import RuleSet, load_rules
GATE_FUNCTION
rules = load_rules()
if getattr(rules, "examples", None) is not None:  # (a) is the old rules alone, without their layer
    import dataclasses
    rules = dataclasses.replace(rules, examples=None)
out = {"cats": [], "classes": {}, "support": []}
for raw in open(sys.argv[1], encoding="utf-8"):
    if not raw.strip():
        continue
    x = json.loads(raw)
    utts = [*(x.get("context") or []), {"speaker": x["speaker"], "text": x["text"]}]
    utts = [{"speaker": u["speaker"], "text": u["text"], "start": float(i * 4),
             "end": float(i * 4 + 3)} for i, u in enumerate(utts)]
    flags, _ = audit_utterances(utts, rules)
    out["cats"].append(sorted({f["category"] for f in flags if f["start"] == utts[-1]["start"]}))
    a = analyse(x["text"], rules)
    out["support"].append({g: [c for c in sys.argv[2].split(",") if layer_support(c, a, rules, g)]
                           for g in sys.argv[3].split(",")})
out["concepts"] = {n: [list(c.members), list(c.context_members)]
                   for n, c in rules.concepts.items()}
print(json.dumps(out, ensure_ascii=False))
"""


@dataclass(frozen=True)
class _Members:
    members: tuple[str, ...]
    context_members: tuple[str, ...] = ()


def historic_fold(stem: str, commit: str, strength: float) -> CvResult:
    """One dev set judged by the rules of `commit` (its auditor/ copied to a temporary directory
    and run in a child process) and by the layer fitted on every other CV group with that
    commit's word classes."""
    import inspect
    import subprocess
    import tempfile

    from auditor.compliance.matching import layer_support
    from auditor.compliance.similar import GATES, class_members

    # the gate runs on the old rules with today's gate function (it needs only term_spans)
    script = _OLD_RUN.replace("GATE_FUNCTION", inspect.getsource(layer_support))
    lines = cv_lines()
    dev = next(p for p in DEV_FILES if p.stem == stem)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "auditor"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        res = subprocess.run([sys.executable, "-c", script, str(dev), ",".join(LEXICAL),
                              ",".join(GATES)], cwd=tmp, check=True, capture_output=True,
                             text=True)
    data = json.loads(res.stdout)
    classes = class_members({n: _Members(tuple(m), tuple(cm))
                             for n, (m, cm) in data["concepts"].items()})
    test = [x for x in lines if x["group"] == stem]
    scores = _fold_scores([x for x in lines if x["group"] != stem], test, classes, strength)
    return CvResult(test, [set(c) & set(LEXICAL) for c in data["cats"]], scores,
                    [{g: set(c) for g, c in sup.items()} for sup in data["support"]])


def history_report(threshold: float | None = None, strength: float | None = None) -> str:
    """(a), (b), (c) on each dev set with the rules from before its round (HISTORIC_FOLDS)."""
    shipped = _shipped()
    t0, s0, own = shipped.threshold, shipped.strength, dict(shipped.thresholds)
    cats, gate, gates = frozenset(shipped.categories), shipped.gate, dict(shipped.gates)
    t = t0 if threshold is None else threshold
    s = s0 if strength is None else strength
    out = []
    for stem, commit in HISTORIC_FOLDS:
        cv = historic_fold(stem, commit, s)
        cv.categories, cv.gate, cv.gates = cats, gate, gates
        cv.thresholds = own if threshold is None else {}
        out += [f"{stem} ({len(cv.lines)} lines) with the rules and word classes of {commit} "
                f"(before its round); model strength {s}; gate {gate} {gates or ''}; own "
                f"thresholds {cv.thresholds or 'none'}",
                cv.report(None).format("\n(a) rules alone:"),
                cv.report(t).format(f"\n(b) rules + example layer (threshold {t}):"),
                cv.report(t, rules=False).format(f"\n(c) example layer alone (threshold {t}):"),
                "\nthreshold sweep:", *_sweep(cv),
                f"\ngates (b, threshold {t}):", *_gates(cv, t)]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
