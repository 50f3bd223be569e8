"""A flag: one finding on a call, in the scorecard's shape (../shared/spec/scorecard.md).

`Flag` is the only place a flag is built; `Flag.to_dict()` gives the spec's JSON (the fixed
fields in order, then any extra fields such as `via` or `count`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Flag:
    """One finding: what (category, rule, severity), who, when, and the words behind it."""

    category: str
    rule: str
    severity: str
    speaker: str | None
    start: float | None
    end: float | None
    evidence: str
    matched: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The flag as the scorecard's JSON object."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out.update(self.extra)
        return out


def make_flag(category: str, rule: str, severity: str, speaker: str | None,
              start: float | None, end: float | None, evidence: str, matched: str,
              **extra: Any) -> dict[str, Any]:
    """A flag dict in the scorecard's shape: the one constructor every stage uses.

    Every flag carries ``uncertain`` (false unless the caller says its evidence is uncertain).
    """
    extra.setdefault("uncertain", False)
    return Flag(category, rule, severity, speaker, start, end, evidence, matched,
                dict(extra)).to_dict()
