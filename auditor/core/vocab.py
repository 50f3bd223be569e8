"""The fixed lists every stage shares: flag categories, script steps, speakers, severities.

Each list is defined here once (../shared/spec/scorecard.md is the contract); other modules
import them rather than spelling them again.
"""

from __future__ import annotations

# Categories the rule packs raise from what the agent says (the lexical packs): the rule
# categories less the script-step flags and the step order (disclosure_before_verification).
LEXICAL_CATEGORIES: tuple[str, ...] = (
    "abuse",
    "threat",
    "false_legal",
    "third_party_disclosure",
    "pii_leak",
    "new_loan",
    "impatience",
)
# The scorecard's fixed flag categories, in the spec's order.
CATEGORIES: tuple[str, ...] = (
    *LEXICAL_CATEGORIES,
    "missing_greeting",
    "missing_self_identification",
    "missing_identity_verification",
    "disclosure_before_verification",
    "missing_closing",
    "speech_rate_fast",
    "shouting",
    "long_silence",
    "interruption",
)
# Categories measured from the voice (the rest come from the words).
VOICE_CATEGORIES: frozenset[str] = frozenset(
    {"speech_rate_fast", "shouting", "long_silence", "interruption"})
RULE_CATEGORIES: frozenset[str] = frozenset(c for c in CATEGORIES if c not in VOICE_CATEGORIES)
# Categories raised by a script step that never happened.
STEP_FLAGS: frozenset[str] = frozenset({
    "missing_greeting",
    "missing_self_identification",
    "missing_identity_verification",
    "missing_closing",
})

# The script steps of a compliant call, in call order (the scorecard's `steps`).
STEPS: tuple[str, ...] = (
    "greeting",
    "self_identification",
    "identity_verification",
    "debt_disclosure",
    "consequence_notice",
    "repayment_plan",
    "closing",
)

# Who an utterance or a flag belongs to; `unknown` when attribution could not tell.
SPEAKERS: tuple[str, ...] = ("agent", "customer", "unknown")
# The two parties of a call (the ones with metrics of their own).
PARTIES: tuple[str, ...] = ("agent", "customer")

SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "info")
