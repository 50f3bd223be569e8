"""Compiled rules: the rule packs loaded into one `RuleSet` (rules, script steps, context).

Public API::

    rules = load_rules(extra_dirs=[Path("my_packs")])   # built-in packs + extra packs
    flags, steps = audit_utterances(utterances, rules)  # auditor.compliance.audit

A rule in a later pack replaces a rule with the same id; steps, context and verification settings
are merged. The example files (``packs/examples/*.toml``, and ``examples/`` in an extra pack
directory) give the example layer (``auditor.compliance.similar``), fitted once per process.
How a rule matches is ``auditor.compliance.matching``; the script steps are
``auditor.compliance.steps``; running both over a call is ``auditor.compliance.audit``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.compliance.concepts import (
    Concept,
    Expr,
    compile_ba,
    compile_words,
    concepts_from,
    gap_pairs,
    parse_expr,
)
from auditor.compliance.rulepack import (
    Pack,
    RulePackError,
    load_pack,
    pack_files,
    subsumed_pair,
)
from auditor.compliance.similar import ExampleLayer, class_members, example_files, load_examples
from auditor.compliance.tokens import phrase_pinyin
from auditor.core.vocab import STEPS

__all__ = [
    "Rule",
    "RulePackError",
    "RuleSet",
    "load_rules",
]


BUILTIN_DIR = Path(__file__).parent / "packs"

# The severity of a rule or step whose pack does not say (red lines are critical).
DEFAULT_SEVERITY = {
    **dict.fromkeys(("abuse", "threat", "false_legal", "third_party_disclosure", "pii_leak"),
                    "critical"),
    **dict.fromkeys(("new_loan", "disclosure_before_verification", "impatience",
                     "missing_self_identification", "missing_identity_verification"), "major"),
    **dict.fromkeys(("missing_greeting", "missing_closing"), "minor"),
}


@dataclass(frozen=True)
class Rule:
    """One compiled rule (or the matcher of a script step)."""

    id: str
    category: str
    severity: str = "major"
    speakers: frozenset[str] = frozenset({"agent"})
    phrases: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    exceptions: tuple[str, ...] = ()
    pinyin: bool = False
    negatable: bool = False
    detector: str | None = None
    description: str = ""
    pack: str = ""
    near: tuple[Expr, ...] = ()  # concept expressions (single concepts included)
    unless: frozenset[str] = frozenset()  # see rulepack.UNLESS
    within_first_s: float | None = None
    before_verification: bool = False
    after_denial: bool = False

    @property
    def positioned(self) -> bool:
        """Limited by position: context members may then count on their own."""
        return self.before_verification or self.after_denial or self.within_first_s is not None


@dataclass(frozen=True)
class Step:
    """A script step: its matcher and the flag raised when it is missing."""

    id: str
    matcher: Rule
    flag: str | None = None
    severity: str = "minor"
    within_first: int | None = None
    within_last: int | None = None
    also: Rule | None = None


@dataclass(frozen=True)
class Context:
    """Settings shared by every rule (context.toml)."""

    negators: tuple[str, ...] = ()
    breakers: tuple[str, ...] = ()
    negation_window: int = 8
    quote_markers: tuple[str, ...] = ()
    domain_words: tuple[str, ...] = ()
    common_word_freq: int = 1000
    pinyin_anchors: tuple[str, ...] = ()
    # the agent refusing or warning against an act (我们不接受…, 请不要相信…): scope is the rest
    # of the clause, used by ``unless = ["refusal"]``
    refusals: tuple[str, ...] = ()
    # quote markers that name what was said as a noun phrase (你问的这个…): they quote only
    # inside their own clause, the agent's own words follow
    nominal_quote_suffix: tuple[str, ...] = ()
    # (general, specific) category pairs: a hit of the general category whose words lie inside a
    # hit of the specific one on the same line is one act, reported as the specific category
    # (警察会上门抓你: false_legal, not also threat); context.toml ``subsumed``
    subsumed: tuple[tuple[str, str], ...] = ()
    # clauses that only frame what follows (我跟你说，…, 说实话，…): their speech verbs tell no
    # one anything, so they are left out of matching; context.toml ``discourse_markers``
    discourse_markers: frozenset[str] = frozenset()
    # nouns of obligation (义务, 责任): a negator whose object is one of them (没有还款的义务)
    # denies a duty, it states no missed payment; context.toml ``duty_nouns``
    duty_nouns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verification:
    """How a reply to the identity question is read (steps.toml [verification])."""

    confirm: tuple[re.Pattern[str], ...] = ()
    deny: tuple[re.Pattern[str], ...] = ()
    reply_window: int = 2
    third_party_also_early_disclosure: bool = True
    early_disclosure_severity: str = "major"
    third_party_severity: str = "critical"


@dataclass(frozen=True)
class RuleSet:
    """The active rules: built-in packs plus any extra packs."""

    rules: tuple[Rule, ...]
    steps: dict[str, Step]
    context: Context
    verification: Verification
    version: str
    packs: tuple[str, ...] = ()
    pinyin: bool = True
    concepts: dict[str, Concept] = field(default_factory=dict)
    concept_rx: dict[tuple[str, bool], re.Pattern[str] | None] = field(default_factory=dict)
    pinyin_index: dict[str, tuple[tuple[str, str, bool], ...]] = field(default_factory=dict)
    member_words: frozenset[str] = frozenset()
    # a concept's members with the object moved before the verb by 把 (丢尽脸 -> 把脸丢尽)
    ba_rx: dict[str, re.Pattern[str] | None] = field(default_factory=dict)
    # a concept's members split in two at a word boundary, for one inserted word between them
    gaps: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # the example layer (``auditor.compliance.similar``), None without example files
    examples: ExampleLayer | None = None

    def describe(self) -> list[dict[str, Any]]:
        """Rows for `auditor rules list`: id, category, severity, speakers, phrase count."""
        rows: list[dict[str, Any]] = []
        for r in self.rules:
            rows.append({
                "id": r.id,
                "category": r.category,
                "severity": r.severity,
                "speakers": ",".join(sorted(r.speakers)),
                "phrases": len(r.phrases),
                "patterns": len(r.patterns) + len(r.near),
                "detector": r.detector or "",
                "pinyin": r.pinyin,
                "pack": r.pack,
            })
        for s in self.steps.values():
            rows.append({
                "id": f"step.{s.id}",
                "category": s.flag or "-",
                "severity": s.severity if s.flag else "-",
                "speakers": "agent",
                "phrases": len(s.matcher.phrases),
                "patterns": len(s.matcher.patterns),
                "detector": "",
                "pinyin": s.matcher.pinyin,
                "pack": s.matcher.pack,
            })
        return rows

    def with_pinyin(self, on: bool) -> RuleSet:
        """The same rules with pinyin matching switched on or off."""
        return replace(self, pinyin=on)


# --------------------------------------------------------------------------- loading


def _rule_from(d: dict[str, Any], pack: str, known: set[str]) -> Rule:
    cat = d["category"]
    try:
        near = tuple(parse_expr(x, known) for x in [*d.get("concepts", []), *d.get("near", [])])
    except ValueError as exc:
        raise RulePackError(f"Rule '{d['id']}' in pack {pack}: {exc}; run 'auditor rules "
                            f"check' on the pack.") from exc
    unless = set(d.get("unless", []))
    if d.get("negatable"):
        unless.add("negated")
    return Rule(
        id=d["id"],
        category=cat,
        severity=d.get("severity", DEFAULT_SEVERITY.get(cat, "info" if cat.startswith("info_")
                                                        else "major")),
        speakers=frozenset(d.get("speakers", ["agent"])),
        phrases=tuple(dict.fromkeys(d.get("phrases", []))),
        patterns=tuple(re.compile(p) for p in d.get("patterns", [])),
        exceptions=tuple(d.get("exceptions", [])),
        pinyin=bool(d.get("pinyin", False)),
        negatable=bool(d.get("negatable", False)),
        detector=d.get("detector"),
        description=d.get("description", ""),
        pack=pack,
        near=near,
        unless=frozenset(unless),
        within_first_s=d.get("within_first_s"),
        before_verification=bool(d.get("before_verification", False)),
        after_denial=bool(d.get("after_denial", False)),
    )


def _merge_list(old: list[Any], new: list[Any]) -> list[Any]:
    return list(dict.fromkeys([*old, *new]))


def _build(packs: Sequence[Pack], pinyin: bool) -> RuleSet:
    rules: dict[str, Rule] = {}
    steps: dict[str, dict[str, Any]] = {}
    step_pack: dict[str, str] = {}
    context: dict[str, Any] = {}
    verification: dict[str, Any] = {}
    builtin_ids: dict[str, str] = {}
    tables: dict[str, dict[str, Any]] = {}
    for pack in packs:
        for name, t in pack.concepts.items():
            cur = tables.setdefault(name, {})
            for k, v in t.items():
                cur[k] = _merge_list(cur.get(k, []), v) if isinstance(v, list) else v
    concepts = concepts_from(tables)
    known = set(concepts)
    for pack in packs:
        for d in pack.rules:
            rid = d["id"]
            if pack.path.parent == BUILTIN_DIR and rid in builtin_ids:
                raise RulePackError(f"Rule id '{rid}' is defined in both {builtin_ids[rid]} and "
                                    f"{pack.path.name}; rule ids must be unique.")
            if pack.path.parent == BUILTIN_DIR:
                builtin_ids[rid] = pack.path.name
            rules[rid] = _rule_from(d, pack.name, known)  # a later pack replaces a rule with its id
        for d in pack.steps:
            cur = steps.setdefault(d["id"], {})
            step_pack.setdefault(d["id"], pack.name)
            for k, v in d.items():
                cur[k] = _merge_list(cur.get(k, []), v) if isinstance(v, list) else v
        for target, src in ((context, pack.context), (verification, pack.verification)):
            for k, v in src.items():
                target[k] = _merge_list(target.get(k, []), v) if isinstance(v, list) else v
    built_steps: dict[str, Step] = {}
    for sid in STEPS:
        d = steps.get(sid, {})
        flag = d.get("flag")
        matcher = Rule(
            id=f"step.{sid}", category="step", severity="info",
            phrases=tuple(d.get("phrases", [])),
            patterns=tuple(re.compile(p) for p in d.get("patterns", [])),
            exceptions=tuple(d.get("exceptions", [])),
            pinyin=bool(d.get("pinyin", False)), pack=step_pack.get(sid, ""),
        )
        also = None
        if d.get("also_phrases") or d.get("also_patterns"):
            also = Rule(id=f"step.{sid}.also", category="step",
                        phrases=tuple(d.get("also_phrases", [])),
                        patterns=tuple(re.compile(p) for p in d.get("also_patterns", [])),
                        pinyin=bool(d.get("pinyin", False)))
        built_steps[sid] = Step(
            id=sid, matcher=matcher, flag=flag,
            severity=d.get("severity", DEFAULT_SEVERITY.get(flag or "", "minor")),
            within_first=d.get("within_first"), within_last=d.get("within_last"), also=also,
        )
    ctx = Context(
        negators=tuple(sorted(context.get("negators", []), key=len, reverse=True)),
        breakers=tuple(context.get("breakers", [])),
        negation_window=int(context.get("negation_window", 8)),
        quote_markers=tuple(context.get("quote_markers", [])),
        domain_words=tuple(context.get("domain_words", [])),
        common_word_freq=int(context.get("common_word_freq", 1000)),
        pinyin_anchors=tuple(context.get("pinyin_anchors", [])),
        refusals=tuple(sorted(context.get("refusals", []), key=len, reverse=True)),
        nominal_quote_suffix=tuple(context.get("nominal_quote_suffix", [])),
        subsumed=tuple(pair for pair in map(subsumed_pair, context.get("subsumed", []))
                       if pair is not None),
        discourse_markers=frozenset(context.get("discourse_markers", [])),
        duty_nouns=tuple(context.get("duty_nouns", [])),
    )
    ver = Verification(
        confirm=tuple(re.compile(p) for p in verification.get("confirm_patterns", [])),
        deny=tuple(re.compile(p) for p in verification.get("deny_patterns", [])),
        reply_window=int(verification.get("reply_window", 2)),
        third_party_also_early_disclosure=bool(
            verification.get("third_party_also_early_disclosure", True)),
        early_disclosure_severity=verification.get("early_disclosure_severity", "major"),
        third_party_severity=verification.get("third_party_severity", "critical"),
    )
    digest = hashlib.sha256()
    for pack in packs:
        digest.update(pack.path.name.encode() + b"\0" + pack.source + b"\0")
    concept_rx = {}
    ba_rx: dict[str, re.Pattern[str] | None] = {}
    gaps: dict[str, tuple[tuple[str, str], ...]] = {}
    index: dict[str, list[tuple[str, str, bool]]] = {}
    for c in concepts.values():
        concept_rx[(c.name, False)] = compile_words(c.members)
        concept_rx[(c.name, True)] = compile_words(c.members + c.context_members)
        ba_rx[c.name] = compile_ba(c.members)
        gaps[c.name] = gap_pairs(c.members)
        if c.pinyin:
            for w in c.members + c.context_members:
                syl = phrase_pinyin(w)
                if len(syl) >= 2:
                    index.setdefault(syl[0], []).append((w, c.name, w in c.members))
    words = frozenset(w for c in concepts.values() for w in c.members + c.context_members)
    return RuleSet(
        rules=tuple(rules.values()), steps=built_steps, context=ctx, verification=ver,
        version=digest.hexdigest()[:12], packs=tuple(str(p.path) for p in packs), pinyin=pinyin,
        concepts=concepts, concept_rx=concept_rx, ba_rx=ba_rx, gaps=gaps,
        pinyin_index={k: tuple(v) for k, v in index.items()}, member_words=words,
    )


def examples_for(extra_dirs: Iterable[Path | str] | None = None,
                 builtin: bool = True) -> list[Path]:
    """The example files of the example layer: the built-in ``packs/examples/*.toml``, then an
    ``examples/`` directory inside each extra pack directory (a QA team's own examples)."""
    files = example_files(BUILTIN_DIR / "examples") if builtin else []
    for d in extra_dirs or []:
        if Path(d).is_dir():
            files.extend(example_files(Path(d) / "examples"))
    return files


def load_rules(extra_dirs: Iterable[Path | str] | None = None, *, pinyin: bool = True,
               builtin: bool = True) -> RuleSet:
    """Load the built-in packs plus the packs in `extra_dirs` (directories or .toml files).

    A rule in a later pack replaces a rule with the same id; steps, context and verification
    settings are merged (lists extended, single values replaced). Raises RulePackError.
    """
    files: list[Path] = pack_files(BUILTIN_DIR) if builtin else []
    for d in extra_dirs or []:
        p = Path(d)
        if p.is_file() and p.suffix == ".toml":
            files.append(p)
        else:
            found = pack_files(p)
            if not found:
                raise RulePackError(f"Rule pack directory {p} holds no .toml packs.")
            files.extend(found)
    built = _build([load_pack(f) for f in files], pinyin)
    layer = load_examples(examples_for(extra_dirs, builtin), class_members(built.concepts))
    if layer is None:
        return built
    version = hashlib.sha256(f"{built.version}\0{layer.digest}".encode()).hexdigest()[:12]
    return replace(built, examples=layer, version=version)
