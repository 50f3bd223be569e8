"""The promise to pay: the customer's commitment, or the agent's proposal the customer accepts.

A customer line naming a plan (分十二期) commits even without a verb. A line by the agent that
merely demands a date or a sum is not a promise. The promise is built from the last agreement in
the call: the customer's last commitment and the agent's read-backs the customer accepted after
it (later, more precise terms override earlier ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .terms import Terms, outstanding, parse_terms
from .text import first_match, starts_with

COMMIT, ACCEPTED, RESTATED = "commit", "accepted", "restated"


@dataclass
class Event:
    """One line that took part in an agreement."""

    index: int
    kind: str
    terms: Terms
    reply: int | None = None


def _is_accept(text: str, cfg: dict[str, Any], demand: bool = False) -> bool:
    """A reply accepting the agent's line; a bare acknowledgement does not accept a demand."""
    p = cfg["promise"]
    words = [w for w in p["accept"] if w not in p["weak_accept"]] if demand else p["accept"]
    return starts_with(text, words) is not None and first_match(text, p["reject"]) is None


def _is_reject(text: str, cfg: dict[str, Any]) -> bool:
    p = cfg["promise"]
    return (first_match(text, p["reject"]) is not None
            or first_match(text, p["negated"]) is not None)


def _next_customer(utts: Sequence[dict], i: int) -> int | None:
    for j in range(i + 1, len(utts)):
        if utts[j].get("speaker") == "customer":
            return j
        if utts[j].get("speaker") == "agent":
            return None
    return None


def find_events(utts: Sequence[dict], today: date | None, cfg: dict[str, Any]) -> list[Event]:
    """The commitments and accepted proposals of a call, in order."""
    events: list[Event] = []
    last_commit: int | None = None
    rejected_since = False
    for i, u in enumerate(utts):
        text = u.get("text") or ""
        speaker = u.get("speaker")
        terms = parse_terms(text, today, cfg)
        if speaker == "customer":
            if (terms.pays or terms.installments) and terms.named and not terms.negated:
                events.append(Event(i, COMMIT, terms))
                last_commit, rejected_since = i, False
            elif last_commit is not None and _is_reject(text, cfg):
                rejected_since = True
            continue
        if speaker != "agent":
            continue
        if events and events[-1].kind == COMMIT and events[-1].index == i - 1 \
                and starts_with(text, cfg["promise"]["agent_declines"]):
            events.pop()  # the agent turned the customer's proposal down
            last_commit = None
        if not (terms.pays and (terms.dates or terms.amounts or terms.plan)):
            continue
        j = _next_customer(utts, i)
        reply = utts[j].get("text") or "" if j is not None else ""
        demand = first_match(text, cfg["promise"]["demand_words"]) is not None
        if j is not None and _is_accept(reply, cfg, demand):
            events.append(Event(i, ACCEPTED, terms, reply=j))
        elif (j is None or not _is_reject(reply, cfg)) and last_commit is not None \
                and not rejected_since and starts_with(text, cfg["promise"]["agent_accepts"]):
            events.append(Event(i, RESTATED, terms))
    return events


def _outstanding_before(utts: Sequence[dict], end: int, cfg: dict[str, Any]) -> float | None:
    value = None
    for u in utts[:end + 1]:
        if u.get("speaker") != "customer":
            v = outstanding(u.get("text") or "", cfg)
            if v is not None:
                value = v
    return value


def build_promise(utts: Sequence[dict], today: date | None, cfg: dict[str, Any]) -> dict | None:
    """The spec's `promise` object for the call, or None when nobody committed to anything."""
    events = find_events(utts, today, cfg)
    if not events:
        return None
    final = len(events) - 1
    first = max((k for k, e in enumerate(events) if e.kind == COMMIT), default=final)
    cluster = events[first:]
    amount = due = due_text = installments = None
    all_of_it = partial = plan = False
    for e in cluster:
        t = e.terms
        if t.amounts:
            amount = t.amounts[0].value
        if t.dates:
            due, due_text = t.dates[0].due, t.dates[0].text
        if t.installments:
            installments = t.installments
        all_of_it |= t.all_of_it
        partial |= t.partial
        plan |= t.plan
    if amount is None and (all_of_it or not (partial or plan)):
        amount = _outstanding_before(utts, cluster[-1].index, cfg)
    last = cluster[-1]
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
    }
