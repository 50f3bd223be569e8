"""Evidence: whose words an utterance holds, and a compliance flag raised on it (masked).

**Speakers.** A rule applies to the speakers it names (``speakers``, agent by default). A
customer's words never raise one of the scorecard's agent categories (the packs cannot even say
so: ``auditor rules check`` rejects it); customer rules must use an ``info_`` category.
Utterances whose speaker is ``unknown`` (a mono call where attribution could not tell) raise a
rule only when the rule lists ``"unknown"`` in its speakers; the default packs do not, so an
unattributed utterance never produces an agent violation by default. Script steps count only
``agent`` utterances (see ``auditor.compliance.steps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.compliance.pii import mask_text
from auditor.core.flag import make_flag
from auditor.core.vocab import PARTIES


def speaker_of(u: Mapping[str, Any]) -> str:
    """The utterance's speaker, normalised (missing or odd values count as unknown)."""
    sp = str(u.get("speaker") or "unknown").strip().lower()
    return sp if sp in PARTIES else "unknown"


def utterance_flag(category: str, rule_id: str, severity: str, u: Mapping[str, Any],
                   matched: str, via: str | None = None) -> dict[str, Any]:
    """A flag on one utterance in the scorecard's shape, its evidence and match masked."""
    extra = {"via": via} if via else {}
    return make_flag(category, rule_id, severity, speaker_of(u),
                     float(u.get("start", 0.0) or 0.0), float(u.get("end", 0.0) or 0.0),
                     mask_text(str(u.get("text", ""))), mask_text(matched), **extra)
