"""The promise to pay: the customer's commitment, or the agent's proposal the customer accepts.

A customer line naming a plan (分十二期) commits even without a verb. A line by the agent that
merely demands a date or a sum is not a promise. The promise is built from the last agreement in
the call: the customer's last commitment and the agent's read-backs the customer accepted after
it (later, more precise terms override earlier ones).

Weighing the evidence. A line whose speaker is unknown (attribution could not tell) is read by
what it does: a proposal or read-back (…可以吗, …对吗) asks for agreement, a plain statement of
terms commits. A proposal the customer answers with neither a yes nor a no -- a reply the
recogniser garbled or lost -- after which the agent closes the call politely is taken as accepted,
and the promise says so. The promise carries `confidence` (the lowest recogniser confidence of
the lines it rests on), `uncertain` and `uncertain_reasons` (fields added to the spec's block):
low-confidence text, a pay verb known only by its sound, an inferred acceptance, an unknown
speaker, a derived amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from auditor.compliance.evidence import confidence_of, default_evidence

from .sounds import concept_members
from .terms import Terms, debt_statement, parse_terms
from .text import first_match, han_count, starts_with

COMMIT, ACCEPTED, RESTATED = "commit", "accepted", "restated"
AGENT, CUSTOMER = "agent", "customer"

LOW_CONFIDENCE = "low_confidence_text"
HEARD = "pay_verb_by_sound"
INFERRED = "acceptance_inferred_from_close"
UNKNOWN_SPEAKER = "speaker_unknown"
DERIVED = "amount_derived"


@dataclass
class Event:
    """One line that took part in an agreement."""

    index: int
    kind: str
    terms: Terms
    reply: int | None = None
    reasons: list[str] = field(default_factory=list)
    parts: list[Terms] = field(default_factory=list)  # the agent's lines just before, same turn


def _role(u: dict) -> str | None:
    """agent, customer, or None when attribution could not tell."""
    s = u.get("speaker")
    return s if s in (AGENT, CUSTOMER) else None


def _is_accept(text: str, cfg: dict[str, Any], demand: bool = False) -> bool:
    """A reply accepting the agent's line; a bare acknowledgement does not accept a demand."""
    p = cfg["promise"]
    words = [w for w in p["accept"] if w not in p["weak_accept"]] if demand else p["accept"]
    return starts_with(text, words) is not None and first_match(text, p["reject"]) is None


def _is_reject(text: str, cfg: dict[str, Any]) -> bool:
    p = cfg["promise"]
    return (first_match(text, p["reject"]) is not None
            or first_match(text, p["negated"]) is not None)


def _reply_to(utts: Sequence[dict], i: int) -> int | None:
    """The line answering line i: the next line not by the same known speaker (an unknown
    speaker's line is answered by the next line), before the proposer speaks again."""
    j = i + 1
    if j >= len(utts):
        return None
    who = _role(utts[i])
    return j if who is None or _role(utts[j]) != who else None


def _closes_after(utts: Sequence[dict], k: int, cfg: dict[str, Any]) -> bool:
    """Whether the line after k is not the customer's and holds the polite close."""
    if k + 1 >= len(utts) or _role(utts[k + 1]) == CUSTOMER:
        return False
    return first_match(utts[k + 1].get("text") or "", concept_members("closing")) is not None


def _unclear(u: dict, cfg: dict[str, Any]) -> bool:
    """A reply that says neither yes nor no legibly: short, or low-confidence text."""
    text = u.get("text") or ""
    return han_count(text) <= int(cfg["promise"]["short_reply_chars"]) or \
        confidence_of(u) < default_evidence().low_confidence


def _inferred_accept(utts: Sequence[dict], i: int, j: int | None,
                     cfg: dict[str, Any]) -> int | None | bool:
    """Whether the proposal of line `i`, answered by line `j`, counts as accepted without a
    legible yes: the reply is missing (the agent speaks next) or unclear and no rejection, and
    the agent then closes the call politely. Returns the reply's index (None when there is
    none) or False."""
    if j is None or _role(utts[j]) == AGENT:
        return None if _closes_after(utts, i, cfg) else False
    reply = utts[j].get("text") or ""
    if not _unclear(utts[j], cfg) or _is_reject(reply, cfg) or not _closes_after(utts, j, cfg):
        return False
    return j


def _commits(terms: Terms) -> bool:
    return bool((terms.pays or terms.installments) and terms.named and not terms.negated)


def _turn_parts(utts: Sequence[dict], parsed: list[Terms], i: int) -> list[Terms]:
    """The terms of the agent's lines right before line i in the same turn (a plan read back over
    several lines: 十一月二十日前还五千 / 十二月二十日前再还五千五，对吗)."""
    parts: list[Terms] = []
    k = i - 1
    while k >= 0 and _role(utts[k]) == AGENT:
        t = parsed[k]
        if not (t.pays and (t.dates or t.amounts)):
            break
        parts.insert(0, t)
        k -= 1
    return parts


def find_events(utts: Sequence[dict], today: date | None, cfg: dict[str, Any]) -> list[Event]:
    """The commitments and accepted proposals of a call, in order."""
    p = cfg["promise"]
    events: list[Event] = []
    last_commit: int | None = None
    rejected_since = False
    parsed = [parse_terms(u.get("text") or "", today, cfg) for u in utts]
    for i, u in enumerate(utts):
        terms = parsed[i]
        role = _role(u)
        asks = first_match(terms.text, p["proposal_marks"]) is not None
        demand = first_match(terms.text, p["demand_words"]) is not None
        reasons = [HEARD] if terms.heard else []
        if role is None:
            reasons.append(UNKNOWN_SPEAKER)
        if role == CUSTOMER or (role is None and not asks and not demand):
            if _commits(terms):
                if not terms.dates and i > 0 and role == CUSTOMER == _role(utts[i - 1]) \
                        and not parsed[i - 1].negated:
                    terms.dates = parsed[i - 1].dates  # 那就今天吧。/ 先还三千五。
                events.append(Event(i, COMMIT, terms, reasons=reasons))
                last_commit, rejected_since = i, False
                continue
            if role == CUSTOMER:
                if last_commit is not None and _is_reject(terms.text, cfg):
                    rejected_since = True
                continue
        if events and events[-1].kind == COMMIT and events[-1].index == i - 1 \
                and role == AGENT and starts_with(terms.text, p["agent_declines"]):
            events.pop()  # the agent turned the customer's proposal down
            last_commit = None
        if not (terms.pays and (terms.dates or terms.amounts or terms.plan)):
            continue
        j = _reply_to(utts, i)
        reply = utts[j].get("text") or "" if j is not None else ""
        parts = _turn_parts(utts, parsed, i) if role == AGENT else []
        if j is not None and _is_accept(reply, cfg, demand):
            events.append(Event(i, ACCEPTED, terms, reply=j, reasons=reasons, parts=parts))
        elif (j is None or not _is_reject(reply, cfg)) and last_commit is not None \
                and not rejected_since and starts_with(terms.text, p["agent_accepts"]):
            events.append(Event(i, RESTATED, terms, reasons=reasons, parts=parts))
        elif asks and not demand and (k := _inferred_accept(utts, i, j, cfg)) is not False:
            events.append(Event(i, ACCEPTED, terms, reply=k, reasons=[*reasons, INFERRED]))
    return events


def _outstanding_before(utts: Sequence[dict], end: int,
                        cfg: dict[str, Any]) -> tuple[float | None, bool]:
    """The last debt stated by someone other than the customer up to line `end`, and whether the
    statement was direct (the sum right after a debt word)."""
    found: tuple[float | None, bool] = (None, False)
    for u in utts[:end + 1]:
        if u.get("speaker") != CUSTOMER:
            v = debt_statement(u.get("text") or "", cfg)
            if v is not None:
                found = v
    return found


def build_promise(utts: Sequence[dict], today: date | None, cfg: dict[str, Any]) -> dict | None:
    """The spec's `promise` object for the call, or None when nobody committed to anything."""
    events = find_events(utts, today, cfg)
    if not events:
        return None
    final = len(events) - 1
    first = max((k for k, e in enumerate(events) if e.kind == COMMIT), default=final)
    cluster = events[first:]
    debt, direct = _outstanding_before(utts, cluster[-1].index, cfg)
    amount = due = due_text = installments = None
    all_of_it = partial = plan = False
    reasons: list[str] = []
    # a payment far above the debt stated in the call is a misheard sum (比171500 for 每期1500),
    # not a promise of it
    cap = None if debt is None or not direct else debt * float(cfg["promise"]["max_over_debt"])
    in_plan = any(t.plan or t.installments for e in cluster for t in (*e.parts, e.terms))
    for e in cluster:
        # later lines override earlier ones; inside one read-back of a plan the first part is
        # the first instalment
        turn = [*e.parts, e.terms]
        for t in turn[::-1] if in_plan else turn:
            sums = [a for a in t.amounts if cap is None or a.value <= cap]
            if sums:
                amount = sums[0].value
            if t.dates:
                due, due_text = t.dates[0].due, t.dates[0].text
            if t.installments:
                installments = t.installments
            all_of_it |= t.all_of_it
            partial |= t.partial
            plan |= t.plan
        reasons += e.reasons
    if amount is None and (all_of_it or not (partial or plan)) and debt is not None:
        amount = debt  # "it" / "all of it": the outstanding sum (the spec's rule, no guess)
    elif amount is None and installments and debt is not None:
        amount = round(debt / installments, 2)  # the first of equal instalments
        reasons.append(DERIVED)
    last = cluster[-1]
    used = [e.index for e in cluster] + [e.reply for e in cluster if e.reply is not None]
    confidence = min(confidence_of(utts[k]) for k in used)
    if confidence < default_evidence().low_confidence:
        reasons.append(LOW_CONFIDENCE)
    start_u = utts[cluster[0].index]
    end_u = utts[last.reply if last.reply is not None else last.index]
    return {
        "amount": float(amount) if amount is not None else None,
        "due": due.isoformat() if due is not None else None,
        "due_text": due_text,
        "installments": installments,
        "start": start_u.get("start"),
        "end": end_u.get("end"),
        "evidence": utts[last.index].get("text") or "",
        "confidence": round(confidence, 3),
        "uncertain": bool(reasons),
        "uncertain_reasons": sorted(set(reasons)),
    }
