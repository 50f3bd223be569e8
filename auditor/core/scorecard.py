"""The scorecard: the one JSON shape every report on a call uses (../shared/spec/scorecard.md).

Fields may be added, never renamed or removed. A failed call keeps the same shape with empty
lists and the reason in `error`.
"""

from __future__ import annotations

from typing import Any

STEP_NAMES = (
    "greeting",
    "self_identification",
    "identity_verification",
    "debt_disclosure",
    "consequence_notice",
    "repayment_plan",
    "closing",
)


def new_scorecard(file: str, call_id: str | None = None) -> dict[str, Any]:
    """An empty scorecard for `file` with every spec field present."""
    return {
        "call_id": call_id,
        "file": file,
        "status": "ok",
        "error": None,
        "duration_s": None,
        "channels": None,
        "layout": None,
        "asr": None,
        "utterances": [],
        "metrics": {},
        "steps": {},
        "flags": [],
        "score": None,
        "passed": None,
    }


def failed_scorecard(file: str, error: str, call_id: str | None = None,
                     **known: Any) -> dict[str, Any]:
    """A scorecard for a call that could not be audited; `error` is one actionable sentence.

    It has no score and has not passed (a call nobody could check is not a passed call).
    """
    card = new_scorecard(file, call_id)
    card.update(known)
    card.update(status="failed", error=error, utterances=[], flags=[], metrics={}, steps={},
                score=None, passed=False)
    return card


def short_id(call_id: str | None) -> str:
    """The first 16 hex digits of a call id, enough for display."""
    return (call_id or "")[:16]
