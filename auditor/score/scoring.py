"""Turn a call's flags into a 0-100 score, three sub-scores and a pass/fail verdict.

Why a separate module: the deductions are a policy that QA teams tune without touching the
rules, so they live in ``auditor/config/scoring.toml`` and this module only applies them.

The scheme:

* every call starts at 100; each flag deducts the points of its category if the configuration
  names that category, otherwise the points of its severity;
* flags with severity ``info`` (call hours, call frequency, ...) deduct nothing, whatever their
  category, because they describe the call's context rather than the agent's conduct;
* the same rule deducts at most ``max_per_rule`` times per call;
* the sub-scores ``compliance``, ``script`` and ``delivery`` each start at 100 and take only the
  deductions of their own categories; the overall score takes all deductions; all floor at 0;
* ``passed`` is false whenever any flag is critical, and also when the score is below
  ``pass_mark``. A failed call (audio could not be audited) has ``score: null`` and
  ``passed: false``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.core import config
from auditor.core.config import AnyKeys, Key
from auditor.core.vocab import SEVERITIES

DEFAULT_CONFIG_PATH = config.CONFIG_DIR / "scoring.toml"
GROUPS = ("compliance", "script", "delivery")

# The keys of scoring.toml, their types and ranges; the default values live only in the file.
_POINTS = Key(int, low=0, high=100)
SCHEMA = {
    "pass_mark": Key(int, low=0, high=100),
    "max_per_rule": Key(int, low=1),
    "severity": {s: _POINTS for s in SEVERITIES},
    "category": AnyKeys(_POINTS),
    "groups": {"default_group": Key(str, choices=GROUPS), **{g: Key(list) for g in GROUPS}},
}


@dataclass(frozen=True)
class ScoringConfig:
    """Deductions and grouping read from ``scoring.toml``."""

    severity: Mapping[str, int]
    category: Mapping[str, int]
    groups: Mapping[str, str]  # category -> group
    default_group: str
    pass_mark: int
    max_per_rule: int

    def deduction(self, flag: Mapping[str, Any]) -> int:
        """Points one flag deducts: 0 for info, else the category override or the severity."""
        severity = str(flag.get("severity", "major"))
        if severity == "info":
            return 0
        category = str(flag.get("category", ""))
        if category in self.category:
            return int(self.category[category])
        return int(self.severity.get(severity, self.severity.get("major", 0)))

    def group_of(self, category: str) -> str:
        """The sub-score a category counts against."""
        return self.groups.get(category, self.default_group)


@dataclass(frozen=True)
class ScoreResult:
    """Outcome of scoring one call."""

    score: int
    passed: bool
    subscores: dict[str, int]
    deductions: list[tuple[str, int]]  # (rule, points) per flag that deducted


def load_config(path: str | Path | None = None) -> ScoringConfig:
    """The packaged scoring.toml, with the TOML file at `path` (if given) over it key by key.

    Raises `ConfigError` (a ``ValueError``) naming the file and line when a file is not valid.
    """
    data = config.load(DEFAULT_CONFIG_PATH, path, SCHEMA, "scoring configuration")
    return config_from_dict(data, source=str(path or DEFAULT_CONFIG_PATH))


def config_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> ScoringConfig:
    """Build a :class:`ScoringConfig` from parsed TOML (also handy in tests).

    ``pass_mark``, ``max_per_rule`` and ``default_group`` left out take the packaged values; a
    missing ``[category]`` or ``[groups]`` table means no overrides and no grouping.
    """
    packaged = _packaged()
    data = {**{k: packaged[k] for k in ("pass_mark", "max_per_rule")}, **data}
    severity = {str(k): int(v) for k, v in dict(data.get("severity", {})).items()}
    missing = [s for s in SEVERITIES if s not in severity]
    if missing:
        raise ValueError(f"{source}: [severity] lacks {', '.join(missing)}")
    severity["info"] = 0  # informational flags never deduct, whatever the file says
    groups_raw = dict(data.get("groups", {}))
    default_group = str(groups_raw.pop("default_group", packaged["groups"]["default_group"]))
    groups: dict[str, str] = {}
    for group, categories in groups_raw.items():
        if group not in GROUPS:
            raise ValueError(f"{source}: unknown group {group!r}; use one of {', '.join(GROUPS)}")
        for category in categories:
            groups[str(category)] = group
    if default_group not in GROUPS:
        raise ValueError(f"{source}: default_group must be one of {', '.join(GROUPS)}")
    return ScoringConfig(
        severity=severity,
        category={str(k): int(v) for k, v in dict(data.get("category", {})).items()},
        groups=groups,
        default_group=default_group,
        pass_mark=int(data["pass_mark"]),
        max_per_rule=int(data["max_per_rule"]),
    )


@lru_cache(maxsize=1)
def _packaged() -> Mapping[str, Any]:
    """The packaged scoring.toml as parsed (read-only), the home of every scoring default."""
    return config.read(DEFAULT_CONFIG_PATH, SCHEMA, "scoring configuration")


_DEFAULT: ScoringConfig | None = None


def default_config() -> ScoringConfig:
    """The packaged configuration, read once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_config()
    return _DEFAULT


def score_flags(
    flags: Iterable[Mapping[str, Any]], config: ScoringConfig | None = None
) -> ScoreResult:
    """Score one call from its flags (see the module docstring for the scheme)."""
    cfg = config or default_config()
    total = 0
    per_group = dict.fromkeys(GROUPS, 0)
    seen: Counter[str] = Counter()
    deductions: list[tuple[str, int]] = []
    critical = False
    for flag in flags:
        if flag.get("severity") == "critical":
            critical = True
        points = cfg.deduction(flag)
        if points <= 0:
            continue
        rule = str(flag.get("rule") or flag.get("category", ""))
        seen[rule] += 1
        if seen[rule] > cfg.max_per_rule:
            continue
        total += points
        per_group[cfg.group_of(str(flag.get("category", "")))] += points
        deductions.append((rule, points))
    score = max(0, 100 - total)
    subscores = {g: max(0, 100 - d) for g, d in per_group.items()}
    passed = not critical and score >= cfg.pass_mark
    return ScoreResult(score=score, passed=passed, subscores=subscores, deductions=deductions)


def score_card(card: Mapping[str, Any], config: ScoringConfig | None = None) -> dict[str, Any]:
    """The scorecard with ``score``, ``passed`` and ``subscores`` set (a new dict; the card
    given is not changed, so a card scored twice or kept elsewhere cannot drift).

    A failed call (``status: failed``) gets ``score: None``, ``passed: False`` and no
    sub-scores: there is nothing to judge, and a reviewer must not read it as a pass.
    """
    if card.get("status") == "failed":
        return {**card, "score": None, "passed": False, "subscores": None}
    result = score_flags(card.get("flags") or [], config)
    return {**card, "score": result.score, "passed": result.passed,
            "subscores": result.subscores}
