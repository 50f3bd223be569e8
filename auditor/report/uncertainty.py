"""How an outcome's uncertainty reads for a person: one wording for `auditor check`, `show`,
`flagged` and the review page (no imports of the store or the review page, so all can use it)."""

from __future__ import annotations

from typing import Any

REASON_WORDS = {
    "low_confidence_text": "low-confidence text",
    "pay_verb_by_sound": "pay verb recognised by its sound only",
    "acceptance_inferred_from_close": "acceptance inferred from the close",
    "speaker_unknown": "speaker unknown",
    "amount_derived": "amount derived from the debt",
}
"""How an uncertainty reason reads for a person; any other reason shows with ``_`` as spaces."""


def uncertainty_note(uncertain: Any, reasons: Any = None, confidence: Any = None) -> str | None:
    """Why an outcome's promise is not to be trusted unheard (``uncertain: low-confidence text,
    confidence 0.41``), or None when it is certain. ``reasons`` is a list or comma-joined text
    (as stored); the one wording for ``check``, ``show``, ``flagged`` and the review page."""
    if not uncertain:
        return None
    if isinstance(reasons, str):
        reasons = [r for r in reasons.split(",") if r]
    words = [REASON_WORDS.get(str(r), str(r).replace("_", " ")) for r in reasons or []]
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        words.append(f"confidence {confidence:.2f}")
    return "uncertain" + (": " + ", ".join(words) if words else "")


def outcome_uncertainty(outcome: Any) -> str | None:
    """:func:`uncertainty_note` of a scorecard's ``outcome`` block (None when certain)."""
    if not isinstance(outcome, dict):
        return None
    p = outcome.get("promise") or {}
    return uncertainty_note(outcome.get("uncertain", p.get("uncertain")),
                            p.get("uncertain_reasons"), p.get("confidence"))
