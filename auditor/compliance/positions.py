"""Where each utterance stands in the call (time, verified yet, after a denial, the same
speaker's next line), and `explain`: which rules match a text and why the others do not.

Kept apart from `matching` because the position needs the script steps' reading of a reply
(`steps.classify_reply`), and the steps match rules themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.compliance.evidence import speaker_of
from auditor.compliance.matching import (
    Analysed,
    Hit,
    Position,
    analyse,
    applies,
    match_rule,
    subsumed_by,
)
from auditor.compliance.rules import Rule, RuleSet
from auditor.compliance.steps import classify_reply


def call_positions(utts: Sequence[Mapping[str, Any]], analyses: Sequence[Analysed],
                   rules: RuleSet) -> list[Position]:
    """The position of each utterance: time, verified yet, after a denial, next same-speaker."""
    out: list[Position] = []
    verified = denied = False
    speakers = [speaker_of(u) for u in utts]
    replies = 0  # the identity is settled in the other party's first few replies
    for i, u in enumerate(utts):
        nxt = next((analyses[j] for j in range(i + 1, len(utts))
                    if speakers[j] == speakers[i]), None)
        out.append(Position(float(u.get("start", 0.0) or 0.0), verified, denied, nxt))
        if speakers[i] != "agent":
            replies += 1
            early = replies <= 1 + rules.verification.reply_window
            if verified or not (early or denied):
                continue
            r = classify_reply(u, rules)  # its confidence counts: a garbled reply is unclear
            if r == "deny" and early:
                denied = True
            elif r == "confirm":  # the debtor (perhaps come to the phone after a third party)
                verified, denied = True, False
    return out


@dataclass
class Explanation:
    """For `auditor rules explain`: the rules that matched (and on which words) and near-misses."""

    matched: list[tuple[Rule, list[Hit]]] = field(default_factory=list)
    near_misses: list[tuple[Rule, list[str]]] = field(default_factory=list)
    # matched rules whose words lie inside a more specific category's match: (rule id, category
    # it is reported as), as the audit raises them (context.toml ``subsumed``)
    subsumed: dict[str, str] = field(default_factory=dict)


def explain(text: str, rules: RuleSet, speaker: str = "agent",
            before: Sequence[Mapping[str, Any]] = ()) -> Explanation:
    """Which rules match `text` (said by `speaker` after the utterances `before`) and why not."""
    utts = [*before, {"speaker": speaker, "text": text}]
    utts = [{**u, "start": float(i), "end": float(i) + 0.5} for i, u in enumerate(utts)]
    analyses = [analyse(str(u["text"]), rules) for u in utts]
    pos = call_positions(utts, analyses, rules)[-1]
    out = Explanation()
    for rule in rules.rules:
        if not applies(rule, speaker):
            continue
        notes: list[str] = []
        hits = match_rule(rule, analyses[-1], rules, pos, notes)
        if hits:
            out.matched.append((rule, hits))
        elif notes:
            out.near_misses.append((rule, list(dict.fromkeys(notes))))
    line = [(r.category, [(h.start, h.end) for h in hits]) for r, hits in out.matched]
    for rule, hits in out.matched:
        specific = subsumed_by(rule.category, [(h.start, h.end) for h in hits], line,
                               rules.context.subsumed)
        if specific:
            out.subsumed[rule.id] = specific
    return out
