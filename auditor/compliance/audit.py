"""A call's compliance audit: every rule over every utterance, then the script steps.

``audit_utterances(utterances, rules)`` returns the flags (sorted by start) and the ``steps``
block; the rules are ``auditor.compliance.rules``, how they match ``auditor.compliance.matching``.
A line whose speaker is unsettled (``evidence.may_be_agent``) also runs the agent-category rules:
their hits are raised with ``uncertain`` true, never dropped; a settled customer's line never
raises an agent category. A rule whose every hit on a line came only through sound-alike words
(fuzzy pinyin) on a line below ``[confidence] fuzzy_none`` raises nothing
(``evidence.sound_only_unheard``); above it, below ``fuzzy_low``, it is raised uncertain.
A personal number read through characters that are no digits (a same-sounding 似 for 四, a unit
heard for a digit: ``pii.guessed_digits``) is raised uncertain (``misheard_digits``).
With audio, the measures of each line (``voice.metrics``: speaking time, syllables counted in
the signal) are read beside its text, on copies: the steps ask how much was said in a line
whose words were not heard (``steps._may_hold``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor.compliance.evidence import (
    EvidenceSettings,
    default_evidence,
    low_confidence,
    sound_only_unheard,
    speaker_of,
    speaker_unsettled,
    utterance_flag,
)
from auditor.compliance.matching import (
    Analysed,
    analyse,
    applies,
    layer_support,
    match_rule,
    subsumed_by,
)
from auditor.compliance.pii import (
    MISHEARD_DIGITS,
    guessed_digits,
    mask_text,
    pii_by_utterance,
)
from auditor.compliance.positions import call_positions
from auditor.compliance.rules import DEFAULT_SEVERITY, RuleSet
from auditor.compliance.similar import REASON, Verdict
from auditor.compliance.steps import evaluate_steps
from auditor.core.scorecard import Measures
from auditor.core.vocab import RULE_CATEGORIES


def most_specific(line: list[tuple[dict[str, Any], list[tuple[int, int]]]],
                  subsumed: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """One line's flags, less those a more specific category already covers
    (``matching.subsumed_by``: 警察会上门抓你 is the false legal claim, not also a threat)."""
    cats = [(f["category"], spans) for f, spans in line]
    return [f for f, spans in line if not subsumed_by(f["category"], spans, cats, subsumed)]


def example_verdicts(utts: Sequence[Mapping[str, Any]], rules: RuleSet, ev: EvidenceSettings,
                     analyses: Sequence[Analysed]) -> dict[int, list[tuple[Verdict, list[str]]]]:
    """The example layer's raised categories per utterance index (``auditor.compliance
    .similar``), each with the words of the line that corroborate it (``layer_support``, the
    layer's ``gate``), asked only on a settled agent's line the recogniser is sure of, in one
    pass. A category the rules do not corroborate is not raised."""
    layer = rules.examples
    if layer is None:
        return {}
    idx = [i for i, u in enumerate(utts) if speaker_of(u) == "agent"
           and not speaker_unsettled(u, ev) and not low_confidence(u, ev)
           and str(u.get("text", "") or "").strip()]
    rows = layer.judge_many([str(utts[i].get("text", "")) for i in idx], layer.categories)
    out: dict[int, list[tuple[Verdict, list[str]]]] = {}
    for i, row in zip(idx, rows, strict=True):
        found = [(v, layer_support(v.category, analyses[i], rules, layer.gate_for(v.category)))
                 for v in row if v.raised]
        out[i] = [(v, words) for v, words in found if words]
    return out


def example_flag(v: Verdict, u: Mapping[str, Any], a: Any, ev: EvidenceSettings,
                 support: Sequence[str] = ()) -> dict[str, Any]:
    """An uncertain flag for a category only the example layer saw: the reason names the
    nearest example (the layer is evidence of wording, never of a word)."""
    shown = {**u, "text": mask_text(str(u.get("text", "") or ""), a.pii())}
    flag = utterance_flag(v.category, f"similar.{v.category}",
                          DEFAULT_SEVERITY.get(v.category, "major"), shown, shown["text"],
                          via="example", reasons=[REASON], ev=ev)
    near = v.nearest
    flag["similar"] = {"score": round(v.score, 3), "similarity": round(v.similarity, 3),
                       "nearest": near.text if near else "", "file": near.file if near else "",
                       "support": [w for w in support if w != "-"]}
    return flag


def audit_utterances(utterances: Sequence[Mapping[str, Any]],
                     rules: RuleSet, evidence: EvidenceSettings | None = None,
                     measures: Sequence[Measures | None] | None = None,
                     ) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """Run every rule and the script-step checks; return (flags sorted by start, steps).

    `measures` (aligned with `utterances`, from ``voice.metrics.measure``) adds each line's
    measured fields to a copy of it (a scorecard's utterances already hold them)."""
    ev = evidence or default_evidence()
    if measures is not None:
        utterances = [{**u, **m.to_dict()} if m is not None else u
                      for u, m in zip(utterances, measures, strict=True)]
    utts = sorted(utterances, key=lambda u: float(u.get("start", 0.0) or 0.0))
    analyses = [analyse(str(u.get("text", "") or ""), rules) for u in utts]
    # personal numbers per utterance, a number split over two utterances joined (pii.py)
    analyses = [replace(a, _pii=p) for a, p in zip(analyses, pii_by_utterance(utts), strict=True)]
    flags: list[dict[str, Any]] = []
    positions = call_positions(utts, analyses, rules)
    similar = example_verdicts(utts, rules, ev, analyses)
    for n, (u, a, pos) in enumerate(zip(utts, analyses, positions, strict=True)):
        sp = speaker_of(u)
        unsettled = speaker_unsettled(u, ev)
        line: list[tuple[dict[str, Any], list[tuple[int, int]]]] = []  # this line's flags
        for rule in rules.rules:
            if not (applies(rule, sp) or (unsettled and rule.category in RULE_CATEGORIES
                                          and applies(rule, "agent"))):
                continue
            hits = match_rule(rule, a, rules, pos)
            if sound_only_unheard(u, (h.via for h in hits), ev):
                continue  # only sound-alikes on a line the recogniser doubts: no evidence
            if hits and not (rule.near and any(f["category"] == rule.category
                                               for f, _ in line)):  # one flag per category
                hits = [h for h in hits if not any(
                    o is not h and o.start <= h.start and h.end <= o.end
                    and (o.end - o.start) > (h.end - h.start) for o in hits)]
                matched = "、".join(dict.fromkeys(h.surface for h in hits))
                via = hits[0].via
                shown_text = str(u.get("text", "") or "")
                shown = {**u, "text": mask_text(shown_text, a.pii())}
                # a number read through characters that are no digits (似 for 四, 万 for 二)
                guessed = [MISHEARD_DIGITS] if rule.detector and any(
                    guessed_digits(shown_text, m) for m in a.pii()
                    if m.kind == rule.detector) else []
                line.append((utterance_flag(rule.category, rule.id, rule.severity, shown,
                                            matched, via, reasons=guessed, ev=ev),
                             [(h.start, h.end) for h in hits]))
        kept = most_specific(line, rules.context.subsumed)
        raised = {f["category"] for f, _ in line}
        kept.extend(example_flag(v, u, a, ev, words) for v, words in similar.get(n, ())
                    if v.category not in raised)
        flags.extend(kept)
    step_flags, steps = evaluate_steps(utts, analyses, rules, ev)
    flags.extend(step_flags)
    flags.sort(key=lambda f: (f["start"], f["category"], f["rule"]))
    return flags, steps
