"""Compliance rules: phrase, pattern and personal-data rules run over a call's utterances.

Public API::

    rules = load_rules(extra_dirs=[Path("my_packs")])   # built-in packs + extra packs
    flags, steps = audit_utterances(utterances, rules)

**Speakers.** A rule applies to the speakers it names (``speakers``, agent by default). A
customer's words never raise one of the scorecard's agent categories (the packs cannot even say
so: ``auditor rules check`` rejects it); customer rules must use an ``info_`` category.
Utterances whose speaker is ``unknown`` (a mono call where attribution could not tell) raise a
rule only when the rule lists ``"unknown"`` in its speakers; the default packs do not, so an
unattributed utterance never produces an agent violation by default. Script steps count only
``agent`` utterances (see ``auditor.compliance.steps``).

**Word matching.** Each utterance is split into clauses (on ，。？！；: and spaces) and each clause
into words with jieba (``auditor.compliance.tokens``). A phrase of one or two characters
matches only when both its ends fall on word boundaries (老赖 in 你这个老赖 but not 坐牢 in
坐牢固); a longer phrase matches unless it cuts into words at both ends. ``patterns`` are
regular expressions run on the clause text as written.

**Pinyin matching** (on by default, ``load_rules(pinyin=False)`` turns it off) catches ASR
homophones in two ways: the ``domain_words`` of ``context.toml`` (逾期, 借呗, 工号, 欠款, 征信,
花呗 ...) are found by toneless pinyin and written back into a canonical copy of the clause, which
every rule also sees; and a rule with ``pinyin = true`` also matches its own phrases by pinyin.
False alarms are kept down by these guards: only phrases of two or more syllables; only spans
that start and end on jieba word boundaries; a span that is itself a common word (jieba frequency
>= ``common_word_freq``, e.g. 与其, 预期, 分歧) counts only when its clause also holds a debt anchor
(a digit, a number with a unit such as 三天/五千元, or a word of ``pinyin_anchors``); a span made
only of numerals inside a longer run of numerals (一七 in 一三九一七...) never counts.

**Context.** For a ``negatable`` rule, a negator (不会, 没有, 不是 ...) before the phrase in the
same clause, within ``negation_window`` characters and with no breaker (就, 但是, 否则 ...)
between them, cancels the hit: 我们不会上门 is reassurance, 不还钱就上门 is not, and in
我们不会上门，但是你家人都会知道你是老赖 the second clause still flags. A hit in a sentence that
begins by repeating the customer's words (您是说…, 您担心…) is not the agent's own statement. Any
``exceptions`` phrase in the clause cancels the rule's hits there. Lawful, true notices (会影响您的
个人征信, 机构可能依法起诉) simply match no false_legal phrase.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.compliance.pii import DIGITS, find_pii, mask_text
from auditor.compliance.rulepack import (
    RULE_CATEGORIES,
    STEP_IDS,
    Pack,
    RulePackError,
    load_pack,
    pack_files,
)
from auditor.compliance.tokens import (
    Clause,
    is_han,
    phrase_pinyin,
    sentence_spans,
    split_clauses,
    word_freq,
)

__all__ = [
    "Rule",
    "RulePackError",
    "RuleSet",
    "audit_utterances",
    "load_rules",
]

BUILTIN_DIR = Path(__file__).parent / "packs"

DEFAULT_SEVERITY = {
    "abuse": "critical",
    "threat": "critical",
    "false_legal": "critical",
    "third_party_disclosure": "critical",
    "pii_leak": "critical",
    "new_loan": "major",
    "disclosure_before_verification": "major",
    "impatience": "major",
    "missing_self_identification": "major",
    "missing_identity_verification": "major",
    "missing_greeting": "minor",
    "missing_closing": "minor",
}

_NUMERALS = set(DIGITS) - {"X", "x", "Ｘ", "叉"}


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
                "patterns": len(r.patterns),
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


def _rule_from(d: dict[str, Any], pack: str) -> Rule:
    cat = d["category"]
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
    for pack in packs:
        for d in pack.rules:
            rid = d["id"]
            if pack.path.parent == BUILTIN_DIR and rid in builtin_ids:
                raise RulePackError(f"Rule id '{rid}' is defined in both {builtin_ids[rid]} and "
                                    f"{pack.path.name}; rule ids must be unique.")
            if pack.path.parent == BUILTIN_DIR:
                builtin_ids[rid] = pack.path.name
            rules[rid] = _rule_from(d, pack.name)  # a later pack replaces a rule with its id
        for d in pack.steps:
            cur = steps.setdefault(d["id"], {})
            step_pack.setdefault(d["id"], pack.name)
            for k, v in d.items():
                cur[k] = _merge_list(cur.get(k, []), v) if isinstance(v, list) else v
        for target, src in ((context, pack.context), (verification, pack.verification)):
            for k, v in src.items():
                target[k] = _merge_list(target.get(k, []), v) if isinstance(v, list) else v
    built_steps: dict[str, Step] = {}
    for sid in STEP_IDS:
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
    return RuleSet(
        rules=tuple(rules.values()), steps=built_steps, context=ctx, verification=ver,
        version=digest.hexdigest()[:12], packs=tuple(str(p.path) for p in packs), pinyin=pinyin,
    )


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
    return _build([load_pack(f) for f in files], pinyin)


# --------------------------------------------------------------------------- matching


@dataclass
class Hit:
    """One match of a rule in an utterance."""

    start: int  # offset in the utterance text
    end: int
    surface: str  # the text as written
    via: str  # word | pinyin | pattern | detector


@dataclass
class Analysed:
    """An utterance split into clauses, with canonical (pinyin-rewritten) clause texts."""

    text: str
    clauses: list[Clause]
    canon: list[str] = field(default_factory=list)
    canon_spans: list[list[tuple[int, int]]] = field(default_factory=list)
    _pii: list[Any] | None = None

    def pii(self) -> list[Any]:
        if self._pii is None:
            self._pii = find_pii(self.text)
        return self._pii


_AMOUNT = re.compile(r"[0-9零一二两三四五六七八九十百千万]+(天|元|块|号|个月|期|万)")


def _has_anchor(text: str, lo: int, hi: int, ctx: Context) -> bool:
    """A debt anchor (digit, number with a unit, anchor word) in the text outside [lo, hi)."""
    rest = text[:lo] + " " + text[hi:]
    if re.search(r"\d", rest) or _AMOUNT.search(rest):
        return True
    return any(a in rest for a in ctx.pinyin_anchors)


def _unknown_token(clause: Clause, i: int) -> bool:
    """True when the jieba word covering position i is not a dictionary word (HMM guess)."""
    tok = clause.token_at(i)
    return len(tok) > 1 and word_freq(tok) == 0


def pinyin_spans(clause: Clause, phrase: str, ctx: Context) -> list[tuple[int, int]]:
    """Spans of the clause that sound like `phrase` (toneless) and pass the false-alarm guards.

    Guards: two or more syllables; the span starts and ends on word boundaries (one end may sit
    inside a word jieba only guessed, since its guesses glue unknown characters); a span that is a
    common word needs a debt anchor in the same clause; numerals inside a numeral run never count.
    """
    syl = phrase_pinyin(phrase)
    n = len(syl)
    if n < 2:
        return []
    text = clause.text
    out: list[tuple[int, int]] = []
    for s in range(0, len(text) - n + 1):
        e = s + n
        s_ok, e_ok = s in clause.bounds, e in clause.bounds
        if not (s_ok and e_ok):
            loose = (s_ok and _unknown_token(clause, e - 1)) or (e_ok and _unknown_token(clause, s))
            if not loose:
                continue
        surface = text[s:e]
        if surface == phrase or not all(is_han(c) for c in surface):
            continue
        if not all(syl[k] in clause.readings(s + k) for k in range(n)):
            continue
        if all(c in _NUMERALS for c in surface):
            before = text[s - 1] if s > 0 else ""
            after = text[e] if e < len(text) else ""
            if before in _NUMERALS or after in _NUMERALS or before.isdigit() or after.isdigit():
                continue
        if word_freq(surface) >= ctx.common_word_freq and not _has_anchor(text, s, e, ctx):
            continue
        out.append((s, e))
    return out


def analyse(text: str, rules: RuleSet) -> Analysed:
    """Split an utterance into clauses and, with pinyin on, rewrite domain-word homophones."""
    clauses = split_clauses(text)
    a = Analysed(text=text, clauses=clauses)
    for c in clauses:
        chars = list(c.text)
        spans: list[tuple[int, int]] = []
        if rules.pinyin:
            for w in rules.context.domain_words:
                for s, e in pinyin_spans(c, w, rules.context):
                    if any(s < b and a_ < e for a_, b in spans):
                        continue
                    chars[s:e] = list(w)
                    spans.append((s, e))
        a.canon.append("".join(chars))
        a.canon_spans.append(spans)
    return a


def _aligned(clause: Clause, s: int, e: int) -> bool:
    phrase = clause.text[s:e]
    if phrase.isascii():
        before = clause.text[s - 1] if s > 0 else " "
        after = clause.text[e] if e < len(clause.text) else " "
        return not (before.isascii() and before.isalnum()) and not (
            after.isascii() and after.isalnum())
    s_ok, e_ok = s in clause.bounds, e in clause.bounds
    if e - s <= 2:
        return s_ok and e_ok
    return s_ok or e_ok


def _find_all(text: str, sub: str) -> Iterable[int]:
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def negated(text: str, s: int, ctx: Context) -> bool:
    """True when a negator governs the phrase starting at s in this clause."""
    prefix = text[:s]
    if prefix.endswith("不") or prefix.endswith("没"):
        return True
    for neg in ctx.negators:
        for i in _find_all(prefix, neg):
            gap = prefix[i + len(neg):]
            if len(gap) > ctx.negation_window:
                continue
            if any(b in gap for b in ctx.breakers):
                continue
            return True
    return False


def _quoted(text: str, pos: int, ctx: Context) -> bool:
    for a, b in sentence_spans(text):
        if a <= pos < b:
            head = text[a:pos]
            return any(m in head for m in ctx.quote_markers)
    return False


def match_rule(rule: Rule, a: Analysed, rules: RuleSet) -> list[Hit]:
    """All hits of one rule in an analysed utterance, after context checks."""
    if rule.detector:
        return [Hit(m.start, m.end, m.masked, "detector")
                for m in a.pii() if m.kind == rule.detector]
    ctx = rules.context
    hits: list[Hit] = []
    for ci, clause in enumerate(a.clauses):
        canon = a.canon[ci] if a.canon else clause.text
        variants = [(clause.text, False)]
        if rules.pinyin and canon != clause.text:
            variants.append((canon, True))
        found: dict[tuple[int, int], str] = {}
        for text, is_canon in variants:
            for ph in rule.phrases:
                for s in _find_all(text, ph):
                    e = s + len(ph)
                    if not _aligned(clause, s, e):
                        continue
                    if is_canon and not _touches(a.canon_spans[ci], s, e):
                        continue
                    found.setdefault((s, e), "pinyin" if is_canon else "word")
            for pat in rule.patterns:
                for m in pat.finditer(text):
                    s, e = m.span()
                    if e <= s or (is_canon and not _touches(a.canon_spans[ci], s, e)):
                        continue
                    found.setdefault((s, e), "pinyin" if is_canon else "pattern")
        if rules.pinyin and rule.pinyin:
            for ph in rule.phrases:
                for s, e in pinyin_spans(clause, ph, ctx):
                    found.setdefault((s, e), "pinyin")
        if not found:
            continue
        if rule.exceptions and any(x in clause.text or x in canon for x in rule.exceptions):
            continue
        for (s, e), via in sorted(found.items()):
            if rule.negatable and negated(canon, s, ctx):
                continue
            if _quoted(a.text, clause.offset + s, ctx):
                continue
            hits.append(Hit(clause.offset + s, clause.offset + e, clause.text[s:e], via))
    return hits


def _touches(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def speaker_of(u: dict[str, Any]) -> str:
    """The utterance's speaker, normalised (missing or odd values count as unknown)."""
    sp = str(u.get("speaker") or "unknown").strip().lower()
    return sp if sp in ("agent", "customer") else "unknown"


def applies(rule: Rule, speaker: str) -> bool:
    """Whether a rule may fire on this speaker's words."""
    if speaker == "customer" and rule.category in RULE_CATEGORIES:
        return False
    return speaker in rule.speakers


def make_flag(category: str, rule_id: str, severity: str, u: dict[str, Any], matched: str,
              via: str | None = None) -> dict[str, Any]:
    """A flag dict in the scorecard's shape, evidence masked."""
    flag: dict[str, Any] = {
        "category": category,
        "rule": rule_id,
        "severity": severity,
        "speaker": speaker_of(u),
        "start": float(u.get("start", 0.0) or 0.0),
        "end": float(u.get("end", 0.0) or 0.0),
        "evidence": mask_text(str(u.get("text", ""))),
        "matched": mask_text(matched),
    }
    if via:
        flag["via"] = via
    return flag


def audit_utterances(utterances: Sequence[dict[str, Any]],
                     rules: RuleSet) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """Run every rule and the script-step checks; return (flags sorted by start, steps)."""
    from auditor.compliance.steps import evaluate_steps

    utts = sorted(utterances, key=lambda u: float(u.get("start", 0.0) or 0.0))
    analyses = [analyse(str(u.get("text", "") or ""), rules) for u in utts]
    flags: list[dict[str, Any]] = []
    for u, a in zip(utts, analyses, strict=True):
        sp = speaker_of(u)
        for rule in rules.rules:
            if not applies(rule, sp):
                continue
            hits = match_rule(rule, a, rules)
            if hits:
                hits = [h for h in hits if not any(
                    o is not h and o.start <= h.start and h.end <= o.end
                    and (o.end - o.start) > (h.end - h.start) for o in hits)]
                matched = "、".join(dict.fromkeys(h.surface for h in hits))
                via = hits[0].via
                flags.append(make_flag(rule.category, rule.id, rule.severity, u, matched, via))
    step_flags, steps = evaluate_steps(utts, analyses, rules)
    flags.extend(step_flags)
    flags.sort(key=lambda f: (f["start"], f["category"], f["rule"]))
    return flags, steps
