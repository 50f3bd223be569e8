"""The outcome cues and thresholds: ``config/outcome.toml``, read through the one config reader.

Every key is a list of phrases or a number; the values live only in the file. A user file
overrides the packaged one key by key, and a problem is reported with its file and line
(`auditor.core.config`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.core import config
from auditor.core.config import ConfigError, Key

DEFAULT_PATH = config.CONFIG_DIR / "outcome.toml"

WORDS = Key(list)
NUMBER = Key(float)

SCHEMA: dict[str, dict[str, Key]] = {
    "promise": {k: WORDS for k in (
        "pay_verbs", "pay_verb_unless", "negated", "all_words", "partial_words", "accept",
        "weak_accept", "demand_words", "agent_declines", "reject", "agent_accepts",
        "outstanding_words", "later_part_words", "heard_words", "verb_sounds", "deadline_words",
        "proposal_marks")} | {"short_reply_chars": NUMBER, "max_over_debt": NUMBER},
    "result": {k: WORDS for k in ("wrong_party", "wrong_party_unless", "dispute", "no_contact",
                                  "dispute_negators", "dispute_verbs")}
    | {"dispute_window": NUMBER},
    "customer": {k: WORDS for k in (
        "refusal", "refusal_unless", "refusal_negators", "insults", "complaint_threats", "upset")},
    "voice": {k: NUMBER for k in ("raised_db", "shout_db", "pitch_up", "min_lines")},
    "handling": {"calm_words": WORDS, "in_kind_words": WORDS, "louder_db": NUMBER,
                 "faster": NUMBER, "min_rate_s": NUMBER, "min_lines": NUMBER},
}


class OutcomeConfigError(ConfigError):
    """The outcome cues file cannot be used; the sentence names the file and line."""


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The packaged outcome cues, with the TOML file at `path` (if given) over them."""
    if path is None:
        return _default()
    try:
        return config.load(DEFAULT_PATH, path, SCHEMA, "outcome cues")
    except ConfigError as exc:
        raise OutcomeConfigError(str(exc)) from None


@lru_cache(maxsize=1)
def _default() -> dict[str, Any]:
    return config.load(DEFAULT_PATH, None, SCHEMA, "outcome cues")
