"""`extract_outcome`: the scorecard's `outcome` block from a call's utterances (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from .config import load_config
from .emotion import CALM, customer_lines, customer_state
from .promise import build_promise
from .result import (
    DISPUTE,
    NO_CONTACT,
    NO_PROMISE,
    PROMISE,
    REFUSAL,
    WRONG_PARTY,
    Finding,
    dispute,
    no_contact,
    wrong_party,
)


def _today(call_start: datetime | date | str | None) -> date | None:
    if call_start is None:
        return None
    if isinstance(call_start, str):
        call_start = datetime.fromisoformat(call_start)
    return call_start.date() if isinstance(call_start, datetime) else call_start


def _evidence(kind: str, u: Mapping | None, matched: str) -> dict[str, Any]:
    u = u or {}
    return {"kind": kind, "speaker": u.get("speaker"), "start": u.get("start"),
            "end": u.get("end"), "text": u.get("text") or "", "matched": matched}


def _customer_evidence(utts: Sequence[Mapping], lines: list[dict]) -> list[dict[str, Any]]:
    out = []
    for ln in lines:
        u = utts[ln["index"]]
        for kind in ("insult", "complaint_threat", "refusal", "upset"):
            if ln["cues"][kind]:
                out.append(_evidence(kind, u, ln["cues"][kind]))
        if ln["voice"] != CALM:
            out.append(_evidence("voice", u, ln["voice"]))
    return out


def extract_outcome(utterances: Sequence[Mapping], call_start: datetime | date | str | None = None,
                    voice: Mapping | None = None,
                    config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `outcome` block: result, promise (or None), the customer's state, and the evidence.

    `call_start` (a datetime, a date or an ISO string) resolves relative dates; without it `due`
    is None and `due_text` keeps the words. `voice` is described in `auditor.outcome.levels`.
    `evidence` (an added field) lists the lines behind the result and the customer's state, with
    their times; `uncertain` (added) is true when the promise rests on weak evidence (its
    `uncertain_reasons` say which: ``auditor.outcome.promise``).
    """
    cfg = config or load_config()
    utts = [u for u in utterances if (u.get("text") or "").strip()]
    lines = customer_lines(utts, voice, cfg)
    customer = customer_state(utts, voice, cfg, lines)
    evidence = _customer_evidence(utts, lines)
    promise = None
    found: Finding | None
    if found := no_contact(utts, voice, cfg):
        result = NO_CONTACT
    elif found := wrong_party(utts, cfg):
        result = WRONG_PARTY
    else:
        promise = build_promise(utts, _today(call_start), cfg)
        if promise is not None:
            result = PROMISE
        elif found := dispute(utts, cfg):
            result = DISPUTE
        else:
            result = REFUSAL if customer["refusal"] else NO_PROMISE
    if found:
        evidence.insert(0, _evidence(result, *found))
    evidence.sort(key=lambda e: (e["start"] is None, e["start"] or 0.0))
    return {"result": result, "promise": promise, "customer": customer, "evidence": evidence,
            "uncertain": bool(promise and promise["uncertain"])}
