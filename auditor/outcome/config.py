"""The outcome cues and thresholds: `outcome.toml`, loaded and validated.

Each key of the schema is either a list of phrases (``WORDS``) or a number (``NUMBER``). A missing
or mistyped key raises `OutcomeConfigError` naming the file, the key and what was expected.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.core.errors import AuditorError

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

DEFAULT_PATH = Path(__file__).with_name("outcome.toml")

WORDS = "a list of non-empty strings"
NUMBER = "a number"

SCHEMA: dict[str, dict[str, str]] = {
    "promise": {k: WORDS for k in (
        "pay_verbs", "pay_verb_unless", "negated", "all_words", "partial_words", "accept",
        "weak_accept", "demand_words", "agent_declines", "reject", "agent_accepts",
        "outstanding_words", "later_part_words")},
    "result": {k: WORDS for k in ("wrong_party", "wrong_party_unless", "dispute", "no_contact")},
    "customer": {k: WORDS for k in (
        "refusal", "refusal_unless", "insults", "complaint_threats", "upset")},
    "voice": {k: NUMBER for k in ("raised_db", "shout_db", "pitch_up", "min_lines")},
    "handling": {"calm_words": WORDS, "in_kind_words": WORDS, "louder_db": NUMBER,
                 "faster": NUMBER, "min_rate_s": NUMBER, "min_lines": NUMBER},
}


class OutcomeConfigError(AuditorError):
    """The outcome configuration file is missing, not TOML, or has a wrong key."""


def _check(value: Any, kind: str) -> bool:
    if kind == WORDS:
        return isinstance(value, list) and all(isinstance(w, str) and w for w in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate(data: dict[str, Any], source: str = "outcome config") -> dict[str, Any]:
    """Check `data` against the schema; return it, or raise `OutcomeConfigError`."""
    for section, keys in SCHEMA.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise OutcomeConfigError(f"{source}: the table [{section}] is missing.")
        for key, kind in keys.items():
            if key not in table:
                raise OutcomeConfigError(
                    f"{source}: [{section}] {key} is missing; it must be {kind}.")
            if not _check(table[key], kind):
                raise OutcomeConfigError(f"{source}: [{section}] {key} must be {kind}.")
        extra = sorted(set(table) - set(keys))
        if extra:
            raise OutcomeConfigError(f"{source}: [{section}] has unknown keys {extra}; "
                                     f"known keys are {sorted(keys)}.")
    return data


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Read and validate an outcome TOML file (the packaged default when `path` is None)."""
    if path is None:
        return _default()
    return _read(Path(path))


@lru_cache(maxsize=1)
def _default() -> dict[str, Any]:
    return _read(DEFAULT_PATH)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutcomeConfigError(f"{path}: outcome config file not found.") from None
    except tomllib.TOMLDecodeError as e:
        raise OutcomeConfigError(f"{path}: not valid TOML ({e}); fix the file's syntax.") from None
    return validate(data, str(path))
