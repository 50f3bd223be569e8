"""Script steps of a call and the flags that depend on their order.

Steps (``steps.toml``): greeting, self_identification, identity_verification, debt_disclosure,
consequence_notice, repayment_plan, closing. Only ``agent`` utterances count. ``greeting`` must
come within the agent's first ``within_first`` utterances and ``closing`` within the last
``within_last``. A step with a ``flag`` raises it (``missing_greeting`` ...) when it never happens.

**Identity verification** is a question from the agent (请问是张伟先生本人吗？) followed by the
other party's answer: the next ``reply_window`` non-agent utterances are read clause by clause with
the ``[verification]`` patterns; a denial (不是 / 打错了 / 我是他老婆 ...) wins over a confirmation
(是的 / 我就是 / 嗯 ...); repeating the name the agent asked for also confirms. The step is done
only when the debtor confirmed: if someone else answered and the debtor never came to the phone,
``missing_identity_verification`` is raised (the agent never spoke to a verified debtor). When the
call holds no non-agent speech at all, the question alone counts (the answer cannot be seen).

**Disclosure.** An agent utterance matching ``debt_disclosure`` (amount, overdue status, product)
that starts before the debtor confirmed their identity raises ``disclosure_before_verification``
(once per call, on the first such utterance). One that falls after someone denied being the
debtor, and before a later confirmation, raises ``third_party_disclosure`` (once per utterance), and
also ``disclosure_before_verification`` when ``third_party_also_early_disclosure`` is true.

**No agent speech** (e.g. a mono call whose speakers could not be attributed): every step is false
and no ``missing_*`` or disclosure flag is raised, since nothing can be attributed to the agent;
the lead's scorecard can report that attribution failed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.compliance.evidence import speaker_of, utterance_flag
from auditor.compliance.matching import Analysed, match_rule
from auditor.compliance.rules import RuleSet
from auditor.compliance.tokens import CLAUSE_SPLIT
from auditor.core.vocab import STEPS

_NAME_IN_QUESTION = re.compile(r"是([\u4e00-\u9fff]{2,4}?)(先生|女士|小姐|本人|吗|么|嘛)")


@dataclass
class Answer:
    """The other party's answer to one identity question."""

    question: int  # index of the agent's question utterance
    reply: int | None  # index of the deciding reply (None: no reply seen)
    time: float  # when the answer was given
    result: str  # confirm | deny


def classify_reply(text: str, rules: RuleSet, name: str | None = None) -> str | None:
    """'confirm', 'deny' or None for a reply to the identity question."""
    ver = rules.verification
    if any(p.search(text) for p in ver.deny):
        return "deny"
    clauses = [c for c in CLAUSE_SPLIT.split(text) if c]
    for c in clauses:
        if any(p.search(c) for p in ver.confirm):
            return "confirm"
    if name and name in text:
        return "confirm"
    return None


def _asked_name(text: str) -> str | None:
    m = _NAME_IN_QUESTION.search(text)
    if not m:
        return None
    name = m.group(1)
    return name if name not in ("本人", "您", "你", "谁", "哪位") else None


def find_answers(utts: Sequence[dict[str, Any]], questions: list[int],
                 rules: RuleSet) -> list[Answer]:
    """The definite answers given to the agent's identity questions, in time order."""
    answers: list[Answer] = []
    has_other = any(speaker_of(u) != "agent" for u in utts)
    qset = set(questions)
    for q in questions:
        if not has_other:
            answers.append(Answer(q, None, float(utts[q].get("end", 0.0) or 0.0), "confirm"))
            continue
        name = _asked_name(str(utts[q].get("text", "")))
        seen = 0
        for j in range(q + 1, len(utts)):
            if j in qset:
                break
            if speaker_of(utts[j]) == "agent":
                continue
            seen += 1
            result = classify_reply(str(utts[j].get("text", "")), rules, name)
            if result:
                answers.append(Answer(q, j, float(utts[j].get("start", 0.0) or 0.0), result))
                break
            if seen >= rules.verification.reply_window:
                break
    return answers


def evaluate_steps(utts: Sequence[dict[str, Any]], analyses: Sequence[Analysed],
                   rules: RuleSet) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """Fill the steps dict and raise missing_*, disclosure and third-party flags."""
    steps = {sid: False for sid in STEPS}
    agent = [i for i, u in enumerate(utts) if speaker_of(u) == "agent"]
    if not agent:
        return [], steps

    matches: dict[str, list[int]] = {}
    for sid, step in rules.steps.items():
        idx = [i for i in agent if match_rule(step.matcher, analyses[i], rules)]
        if step.within_first:
            idx = [i for i in idx if i in agent[: step.within_first]]
        if step.within_last:
            idx = [i for i in idx if i in agent[-step.within_last:]]
        if step.also and idx and not any(match_rule(step.also, analyses[i], rules) for i in agent):
            idx = []
        matches[sid] = idx

    questions = matches.get("identity_verification", [])
    answers = find_answers(utts, questions, rules)
    for sid in STEPS:
        steps[sid] = bool(matches.get(sid))
    steps["identity_verification"] = any(a.result == "confirm" for a in answers)

    flags: list[dict[str, Any]] = []
    first, last = utts[agent[0]], utts[agent[-1]]
    for sid, step in rules.steps.items():
        if step.flag and not steps[sid]:
            where = last if sid == "closing" else first
            flags.append(utterance_flag(step.flag, f"steps.{sid}", step.severity, where, ""))

    ver = rules.verification
    confirms = [a.time for a in answers if a.result == "confirm"]
    denials = [a.time for a in answers if a.result == "deny"]
    first_confirm = min(confirms) if confirms else None
    early_done = False
    for i in matches.get("debt_disclosure", []):
        u = utts[i]
        t = float(u.get("start", 0.0) or 0.0)
        hits = match_rule(rules.steps["debt_disclosure"].matcher, analyses[i], rules)
        matched = "、".join(dict.fromkeys(h.surface for h in hits))
        third = any(d <= t and not any(d < c <= t for c in confirms) for d in denials)
        early = first_confirm is None or t < first_confirm
        if third:
            flags.append(utterance_flag("third_party_disclosure", "steps.third_party_disclosure",
                                        ver.third_party_severity, u, matched))
        if early and not early_done and (not third or ver.third_party_also_early_disclosure):
            flags.append(utterance_flag("disclosure_before_verification",
                                        "steps.disclosure_before_verification",
                                        ver.early_disclosure_severity, u, matched))
            early_done = True
    return flags, steps
