"""`extract_outcome`: the scorecard's `outcome` block from a call's utterances (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from .config import load_config
from .emotion import customer_state
from .promise import build_promise
from .result import (
    DISPUTE,
    NO_CONTACT,
    NO_PROMISE,
    PROMISE,
    REFUSAL,
    WRONG_PARTY,
    disputes,
    is_no_contact,
    is_wrong_party,
)


def _today(call_start: datetime | date | str | None) -> date | None:
    if call_start is None:
        return None
    if isinstance(call_start, str):
        call_start = datetime.fromisoformat(call_start)
    return call_start.date() if isinstance(call_start, datetime) else call_start


def extract_outcome(utterances: Sequence[Mapping], call_start: datetime | None = None,
                    voice: Mapping | None = None,
                    config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `outcome` block: result, promise (or None) and the customer's state.

    `call_start` (a datetime, or an ISO string) resolves relative dates; without it `due` is None
    and `due_text` keeps the words. `voice` is described in `auditor.outcome.levels`.
    """
    cfg = config or load_config()
    utts = [u for u in utterances if (u.get("text") or "").strip()]
    customer = customer_state(utts, voice, cfg)
    promise = None
    if is_no_contact(utts, voice, cfg):
        result = NO_CONTACT
    elif is_wrong_party(utts, cfg):
        result = WRONG_PARTY
    else:
        promise = build_promise(utts, _today(call_start), cfg)
        if promise is not None:
            result = PROMISE
        elif disputes(utts, cfg):
            result = DISPUTE
        elif customer["refusal"]:
            result = REFUSAL
        else:
            result = NO_PROMISE
    return {"result": result, "promise": promise, "customer": customer}
