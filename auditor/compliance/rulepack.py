"""Rule packs: TOML files that a QA lead reads and extends without touching code.

A pack may hold any of these tables (see ``auditor/compliance/packs/*.toml`` for full examples)::

    [pack]                      # name and description, for `auditor rules list`
    name = "abuse"

    [[rule]]                    # a phrase rule (or a personal-data detector)
    id = "abuse.insult"         # unique; a later pack with the same id replaces the rule
    category = "abuse"          # one of the scorecard's categories, or "info_..." (informational)
    severity = "critical"       # critical | major | minor | info
    speakers = ["agent"]        # agent (default) | customer | unknown
    phrases = ["老赖", "骗子"]   # matched as whole words (jieba word boundaries)
    patterns = ['让你.{0,4}好看']  # optional regular expressions, matched on each clause
    exceptions = ["不是骗子"]    # optional: any of these in the same clause cancels the hit
    pinyin = false              # also match phrases by toneless pinyin (ASR homophones)
    negatable = false           # a negation before the phrase in its clause cancels the hit
    detector = "mobile"         # instead of phrases: id_card | mobile | bank_card
    concepts = ["insult_noun"]  # word classes whose members count on their own
    near = ["visit_verb+ ~8 visit_place+"]  # classes combined: ~N either order within N
                                # characters, >N in order, ~s / >s one sentence, >next the
                                # speaker's next utterance; A|B alternatives; 老家 a literal;
                                # NAME+ adds the class's context members
    unless = ["negated", "lawful"]  # per-hit exemptions: negated | hypothetical | lawful | past
                                # | addressee (the last word is the listener's own: 您的欠款)
                                # | own_side (the people named are the speaker's own:
                                # 我问一下我们领导)
                                # | procedure (its sentence describes a lawful procedure:
                                # 提前和您预约, 出示工作证; `lawful` includes it) | advice
                                # (an advice frame to the listener earlier in the clause:
                                # 您可以把这事跟家人说一下) | refusal (the
                                # agent refuses or warns against the act earlier in the
                                # clause: 我们不接受…, 请不要相信…) | remedy (the
                                # utterance also offers help, a help_offer member:
                                # 我不清楚，我帮您问一下) | own_goods (the
                                # sentence sells the listener's own things, an
                                # own_goods_sale member: 闲置的…挂到二手平台卖了) |
                                # statute (its sentence states the law's own conditions,
                                # hedged, without saying the listener meets them:
                                # 恶意透支情节严重的可能涉及刑事责任) | lookup (a
                                # 查-word whose sentence names a record_lookup member:
                                # 查到了您的还款记录 looks up the account).
                                # They apply to
                                # phrases and patterns as well as to word classes
    after_denial = false        # position: only after someone denied being the debtor
    before_verification = false # position: only before the debtor confirmed their identity
    within_first_s = 30         # position: only in the call's first N seconds

    [concept.lender_product]    # a word class (the library is packs/concepts.toml); a pack may
    members = ["星辰快借"]       # add members; context_members count only combined

    [[step]]                    # a script step (greeting, ..., closing)
    [context]                   # negators, breakers, quotation markers, pinyin anchors
    [verification]              # how a customer's reply confirms or denies the identity

``check_pack(path)`` returns every problem as ``"file:line: message"``; ``load_pack(path)`` returns
the parsed pack or raises ``RulePackError`` with one sentence.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.compliance.pii import numbers_problems
from auditor.core.config import ConfigError, parse
from auditor.core.config import Locator as _Locator
from auditor.core.vocab import (
    RULE_CATEGORIES,
    SEVERITIES,
    SPEAKERS,
    STEP_FLAGS,
    STEPS,
    VOICE_CATEGORIES,
)

DETECTORS = ("id_card", "mobile", "bank_card")
INFO_PREFIX = "info_"

_RULE_KEYS = {
    "id": str,
    "category": str,
    "severity": str,
    "speakers": list,
    "phrases": list,
    "patterns": list,
    "exceptions": list,
    "pinyin": bool,
    "negatable": bool,
    "detector": str,
    "description": str,
    "concepts": list,
    "near": list,
    "unless": list,
    "within_first_s": int,
    "before_verification": bool,
    "after_denial": bool,
}
_CONCEPT_KEYS = {
    "description": str,
    "members": list,
    "context_members": list,
    "sources": str,
    "pinyin": bool,
    "suffix": bool,
}
UNLESS = ("negated", "hypothetical", "lawful", "procedure", "past", "addressee", "own_side",
          "advice", "refusal", "remedy", "own_goods", "statute", "lookup", "privacy")
_STEP_KEYS = {
    "id": str,
    "flag": str,
    "severity": str,
    "phrases": list,
    "patterns": list,
    "exceptions": list,
    "pinyin": bool,
    "within_first": int,
    "within_last": int,
    "also_phrases": list,
    "also_patterns": list,
    "description": str,
}
_CONTEXT_KEYS = {
    "negators": list,
    "breakers": list,
    "quote_markers": list,
    "pinyin_anchors": list,
    "domain_words": list,
    "negation_window": int,
    "common_word_freq": int,
    "refusals": list,
    "nominal_quote_suffix": list,
    "subsumed": list,
    "discourse_markers": list,
    "duty_nouns": list,
}
_VERIFICATION_KEYS = {
    "confirm_patterns": list,
    "deny_patterns": list,
    "reply_window": int,
    "third_party_also_early_disclosure": bool,
    "early_disclosure_severity": str,
    "third_party_severity": str,
}
_PACK_KEYS = {"name": str, "description": str}
_TOP_KEYS = ("pack", "rule", "step", "context", "verification", "concept", "meta",
             "numbers")  # numbers: pii.py
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def subsumed_pair(item: object) -> tuple[str, str] | None:
    """A context ``subsumed`` entry "GENERAL < SPECIFIC" as (general, specific), or None when
    it is not two rule categories."""
    parts = str(item).replace(" ", "").split("<")
    if len(parts) != 2 or not all(c in RULE_CATEGORIES for c in parts):
        return None
    return parts[0], parts[1]


class RulePackError(ConfigError):
    """A rule pack cannot be used; the message is one sentence a person can act on."""


@dataclass
class Pack:
    """A parsed, validated pack."""

    path: Path
    name: str
    description: str
    source: bytes
    rules: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    verification: dict[str, Any] = field(default_factory=dict)
    concepts: dict[str, dict[str, Any]] = field(default_factory=dict)


def _type_name(t: type) -> str:
    return {str: "a string", list: "a list", bool: "true or false", int: "a whole number"}[t]


def _check_keys(
    table: dict[str, Any], schema: dict[str, type], where: str, loc: _Locator, name: str,
    index: int | None, problems: list[tuple[int, str]],
) -> None:
    for key, value in table.items():
        if key not in schema:
            hint = difflib.get_close_matches(key, schema, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append((loc.line_of(name, index, key=key),
                             f"unknown key '{key}' in {where}{extra}"))
            continue
        want = schema[key]
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if not ok:
            problems.append((loc.line_of(name, index, key=key),
                             f"'{key}' in {where} must be {_type_name(want)}"))
        elif want is list:
            for item in value:
                if not isinstance(item, str) or not item.strip():
                    problems.append(
                        (loc.line_of(name, index, key=key),
                         f"'{key}' in {where} must be a list of non-empty strings")
                    )
                    break


def _check_strings(
    values: Any, key: str, where: str, loc: _Locator, name: str, index: int | None,
    problems: list[tuple[int, str]], regex: bool = False,
) -> None:
    if not isinstance(values, list):
        return
    seen: set[str] = set()
    for v in values:
        if not isinstance(v, str):
            continue
        if v in seen:
            problems.append((loc.line_of(name, index, key=key, value=v),
                             f"'{v}' is listed twice in '{key}' of {where}"))
        seen.add(v)
        if regex:
            try:
                re.compile(v)
            except re.error as exc:
                problems.append((loc.line_of(name, index, key=key, value=v),
                                 f"pattern '{v}' in {where} is not a valid regular "
                                 f"expression: {exc}"))


def builtin_concepts() -> set[str]:
    """Names of the concepts in the built-in library (packs/concepts.toml)."""
    lib = Path(__file__).parent / "packs" / "concepts.toml"
    try:
        return set(_concept_names(lib.read_text("utf-8")))
    except (OSError, ValueError):
        return set()


@lru_cache(maxsize=2)
def _concept_names(text: str) -> frozenset[str]:
    """The concept names of a library's text, parsed once per process for the same text (every
    pack's validation asks; the library is the largest TOML file of the rules)."""
    import tomllib

    return frozenset(tomllib.loads(text).get("concept", {}))


def _validate_near(rule: dict[str, Any], i: int, loc: _Locator, problems: list[tuple[int, str]],
                   known: set[str], where: str) -> None:
    from auditor.compliance.concepts import ExprError, parse_expr

    for key in ("concepts", "near"):
        vals = rule.get(key)
        if not isinstance(vals, list):
            continue
        for v in vals:
            if not isinstance(v, str):
                continue
            try:
                e = parse_expr(v, known)
            except ExprError as exc:
                problems.append((loc.line_of("rule", i, key=key, value=v),
                                 f"'{v}' in '{key}' of {where}: {exc}"))
                continue
            positioned = any(rule.get(k) for k in ("before_verification", "after_denial",
                                                     "within_first_s"))
            if not e.combined and not positioned and any(p for t in e.terms
                                                         for _, p in t.concepts):
                problems.append((loc.line_of("rule", i, key=key, value=v),
                                 f"'{v}' in {where}: context members (NAME+) count only "
                                 f"combined with another term or in a rule limited by position"))
            if key == "concepts" and e.combined:
                problems.append((loc.line_of("rule", i, key=key, value=v),
                                 f"'{v}' in 'concepts' of {where} combines terms; put it "
                                 f"in 'near'"))
    for u in rule.get("unless", []) if isinstance(rule.get("unless"), list) else []:
        if u not in UNLESS:
            problems.append((loc.line_of("rule", i, key="unless", value=u),
                             f"'{u}' in 'unless' of {where} must be one of {', '.join(UNLESS)}"))


def _check_choice(table: dict[str, Any], key: str, choices: Sequence[str], where: str,
                  loc: _Locator, kind: str, i: int, problems: list[tuple[int, str]]) -> None:
    """`key` of a rule or step, when given, must be one of `choices`."""
    value = table.get(key)
    if value is not None and value not in choices:
        problems.append((loc.line_of(kind, i, key=key),
                         f"{key} '{value}' in {where} must be one of {', '.join(choices)}"))


def _validate_rule(rule: dict[str, Any], i: int, loc: _Locator, problems: list[tuple[int, str]],
                   seen_ids: dict[str, int], known: set[str] | None = None) -> None:
    rid = rule.get("id")
    where = f"rule '{rid}'" if isinstance(rid, str) else f"rule #{i + 1}"
    _check_keys(rule, _RULE_KEYS, where, loc, "rule", i, problems)
    head = loc.line_of("rule", i)
    if not isinstance(rid, str) or not rid:
        problems.append((head, f"{where} has no 'id'"))
    elif not _ID_RE.match(rid):
        problems.append((loc.line_of("rule", i, key="id"),
                         f"rule id '{rid}' must be lower-case words joined by dots, "
                         f"like 'abuse.insult'"))
    elif rid in seen_ids:
        problems.append((loc.line_of("rule", i, key="id"),
                         f"rule id '{rid}' is used twice in this pack "
                         f"(first at line {seen_ids[rid]})"))
    else:
        seen_ids[rid] = loc.line_of("rule", i, key="id")
    cat = rule.get("category")
    if cat is None:
        problems.append((head, f"{where} has no 'category'"))
    elif isinstance(cat, str):
        if cat in VOICE_CATEGORIES:
            problems.append((loc.line_of("rule", i, key="category"),
                             f"category '{cat}' comes from voice metrics, not from phrase rules"))
        elif cat not in RULE_CATEGORIES and not cat.startswith(INFO_PREFIX):
            hint = difflib.get_close_matches(cat, sorted(RULE_CATEGORIES), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append((loc.line_of("rule", i, key="category"),
                             f"unknown category '{cat}' in {where}{extra}; use a scorecard "
                             f"category or an informational one starting with '{INFO_PREFIX}'"))
    _check_choice(rule, "severity", SEVERITIES, where, loc, "rule", i, problems)
    speakers = rule.get("speakers", ["agent"])
    if isinstance(speakers, list):
        for s in speakers:
            if s not in SPEAKERS:
                problems.append((loc.line_of("rule", i, key="speakers"),
                                 f"speaker '{s}' in {where} must be one of {', '.join(SPEAKERS)}"))
        if "customer" in speakers and isinstance(cat, str) and cat in RULE_CATEGORIES:
            problems.append((loc.line_of("rule", i, key="speakers"),
                             f"{where}: a customer's words cannot raise the agent category "
                             f"'{cat}'; use an '{INFO_PREFIX}' category for customer rules"))
        if not speakers:
            problems.append((loc.line_of("rule", i, key="speakers"), f"{where} has no speakers"))
    _check_choice(rule, "detector", DETECTORS, where, loc, "rule", i, problems)
    det = rule.get("detector")
    if det is None and not any(rule.get(k) for k in ("phrases", "patterns", "concepts", "near")):
        problems.append((head, f"{where} has no 'phrases' or 'patterns' "
                               f"(nor 'concepts' or 'near')"))
    _validate_near(rule, i, loc, problems, known or set(), where)
    for key in ("phrases", "exceptions"):
        _check_strings(rule.get(key), key, where, loc, "rule", i, problems)
    _check_strings(rule.get("patterns"), "patterns", where, loc, "rule", i, problems, regex=True)


def _validate_step(step: dict[str, Any], i: int, loc: _Locator,
                   problems: list[tuple[int, str]]) -> None:
    sid = step.get("id")
    where = f"step '{sid}'" if isinstance(sid, str) else f"step #{i + 1}"
    _check_keys(step, _STEP_KEYS, where, loc, "step", i, problems)
    if sid not in STEPS:
        problems.append((loc.line_of("step", i, key="id"),
                         f"step id '{sid}' must be one of {', '.join(STEPS)}"))
    flag = step.get("flag")
    if flag is not None and flag not in STEP_FLAGS:
        problems.append((loc.line_of("step", i, key="flag"),
                         f"flag '{flag}' in {where} must be one of "
                         f"{', '.join(sorted(STEP_FLAGS))}"))
    _check_choice(step, "severity", SEVERITIES, where, loc, "step", i, problems)
    for key in ("within_first", "within_last"):
        v = step.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v < 1:
            problems.append((loc.line_of("step", i, key=key),
                             f"'{key}' in {where} must be 1 or more"))
    for key in ("phrases", "exceptions", "also_phrases"):
        _check_strings(step.get(key), key, where, loc, "step", i, problems)
    for key in ("patterns", "also_patterns"):
        _check_strings(step.get(key), key, where, loc, "step", i, problems, regex=True)


def _problems(path: Path) -> tuple[list[tuple[int, str]], dict[str, Any] | None, bytes]:
    doc, unreadable = parse(path)
    if doc is None:
        return unreadable, None, b""
    data, raw, loc = doc.data, doc.raw, doc.locator
    problems: list[tuple[int, str]] = []
    for key in data:
        if key not in _TOP_KEYS:
            hint = difflib.get_close_matches(key, _TOP_KEYS, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            line = loc.line_of(key) if any(h[1] == key for h in loc.headers) else loc.line_of(
                None, key=key)
            problems.append((line, f"unknown table '{key}'{extra}"))
    problems.extend(numbers_problems(doc))  # [numbers]: how personal numbers are read (pii.py)
    for key, schema in (("pack", _PACK_KEYS), ("context", _CONTEXT_KEYS),
                        ("verification", _VERIFICATION_KEYS)):
        if key in data:
            if not isinstance(data[key], dict):
                problems.append((loc.line_of(None, key=key), f"'{key}' must be a table [{key}]"))
            else:
                _check_keys(data[key], schema, f"[{key}]", loc, key, None, problems)
    if isinstance(data.get("verification"), dict):
        for key in ("early_disclosure_severity", "third_party_severity"):
            sev = data["verification"].get(key)
            if sev is not None and sev not in SEVERITIES:
                problems.append((loc.line_of("verification", None, key=key),
                                 f"'{key}' must be one of {', '.join(SEVERITIES)}"))
        for key in ("confirm_patterns", "deny_patterns"):
            _check_strings(data["verification"].get(key), key, "[verification]", loc,
                           "verification", None, problems, regex=True)
    if isinstance(data.get("context"), dict):
        for k, item in enumerate(data["context"].get("subsumed") or []):
            if subsumed_pair(item) is None:
                problems.append((loc.line_of("context", None, key="subsumed"),
                                 f"subsumed entry {k + 1} '{item}' must be 'GENERAL < SPECIFIC', "
                                 f"two rule categories (e.g. 'threat < false_legal')"))
    for key in ("rule", "step"):
        if key in data and not (isinstance(data[key], list)
                                and all(isinstance(r, dict) for r in data[key])):
            problems.append((loc.line_of(None, key=key), f"'{key}' must be written as [[{key}]]"))
            data[key] = []
    concepts = data.get("concept", {})
    if not isinstance(concepts, dict) or not all(isinstance(c, dict) for c in concepts.values()):
        problems.append((loc.line_of(None, key="concept"),
                         "'concept' must be written as [concept.NAME] tables"))
        concepts = {}
    for name, table in concepts.items():
        tname = f"concept.{name}"
        _check_keys(table, _CONCEPT_KEYS, f"[{tname}]", loc, tname, None, problems)
        if not table.get("members") and not table.get("context_members"):
            problems.append((loc.line_of(tname), f"concept '{name}' has no members"))
        for key in ("members", "context_members"):
            _check_strings(table.get(key), key, f"concept '{name}'", loc, tname, None, problems)
    known = builtin_concepts() | set(concepts)
    seen_ids: dict[str, int] = {}
    for i, rule in enumerate(data.get("rule", [])):
        _validate_rule(rule, i, loc, problems, seen_ids, known)
    seen_steps: set[str] = set()
    for i, step in enumerate(data.get("step", [])):
        _validate_step(step, i, loc, problems)
        sid = step.get("id")
        if isinstance(sid, str) and sid in seen_steps:
            problems.append((loc.line_of("step", i, key="id"), f"step '{sid}' is defined twice"))
        if isinstance(sid, str):
            seen_steps.add(sid)
    if not any(k in data for k in ("rule", "step", "context", "verification", "concept")):
        problems.append((1, "the pack defines no [[rule]], [[step]], [context] or [verification]"))
    problems.sort(key=lambda p: p[0])
    return problems, data, raw


def check_pack(path: Path | str) -> list[str]:
    """Validate one pack; return its problems as 'file:line: message' (empty when it is fine)."""
    path = Path(path)
    problems, _, _ = _problems(path)
    return [f"{path}:{line}: {msg}" for line, msg in problems]


def load_pack(path: Path | str) -> Pack:
    """Parse and validate a pack; raise RulePackError naming the file and line of a problem."""
    path = Path(path)
    problems, data, raw = _problems(path)
    if problems or data is None:
        line, msg = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise RulePackError(f"Rule pack {path} line {line}: {msg}{more}; run "
                            f"'auditor rules check {path}' to see every problem.")
    meta = data.get("pack", {})
    return Pack(
        path=path,
        name=meta.get("name", path.stem),
        description=meta.get("description", ""),
        source=raw,
        rules=list(data.get("rule", [])),
        steps=list(data.get("step", [])),
        context=dict(data.get("context", {})),
        verification=dict(data.get("verification", {})),
        concepts=dict(data.get("concept", {})),
    )


def pack_files(directory: Path | str) -> list[Path]:
    """The *.toml packs in a directory, sorted by name; raise RulePackError if it is missing."""
    d = Path(directory)
    if not d.is_dir():
        raise RulePackError(f"Rule pack directory {d} does not exist or is not a directory.")
    return sorted(p for p in d.glob("*.toml") if p.is_file())
