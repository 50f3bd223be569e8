"""Attribution settings: how a mono call's voices are clustered, tested and weighed.

The defaults live only in ``auditor/config/attribution.toml`` (each explained there); the
settings classes have none, and `SCHEMA` says which keys exist, their types and ranges. A file
passed to `load_attribution_settings` is checked against the same schema and overrides the
built-in values key by key (see ``auditor.core.config``). Role cues, turn-taking and the decision
thresholds are ``roles.toml``'s (``roles.load_roles``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from auditor.core import config
from auditor.core.config import ConfigError, Key

ATTRIBUTION_PATH = config.CONFIG_DIR / "attribution.toml"

_POSITIVE = Key(float, low=0.0001)
_COSINE = Key(float, low=-1, high=1)
_SHARE = Key(float, low=0, high=1)
_WEIGHT = Key(float, low=0)
# The keys of attribution.toml, their types and ranges; the values live only in the file.
SCHEMA = {
    "evidence": {"short_tau_s": _WEIGHT, "min_confident_speech_s": _POSITIVE,
                 "line_secs_cap": _POSITIVE},
    "windows": {"window_s": Key(float, low=0.1), "hop_s": Key(float, low=0.05),
                "min_windows": Key(int, low=2), "null_runs": Key(int, low=1),
                "excess_span": _POSITIVE},
    "blocks": {"pitch": _WEIGHT, "level": _WEIGHT, "mfcc": _WEIGHT, "delta": _WEIGHT,
               "ltas": _WEIGHT},
    "embeddings": {"cos_clear": _COSINE, "cos_one": _COSINE, "llr_scale": _WEIGHT,
                   "min_items": Key(int, low=2), "same_cos": _COSINE,
                   "different_cos": _COSINE, "different_change": _SHARE,
                   "lean_one": _SHARE, "lean_clear": _SHARE, "turn_runs": Key(int, low=1),
                   "turn_p_one": _SHARE, "turn_p_clear": _SHARE, "min_side_s": _POSITIVE},
    "em": {"scale": _WEIGHT, "rate_weight": _WEIGHT, "rounds": Key(int, low=1),
           "var_prior": _WEIGHT},
    "chain": {"rounds": Key(int, low=1)},
    "agreement": {"low": _SHARE, "high": _SHARE, "null_sd": _WEIGHT},
    "text": {"conf_max": _SHARE, "balance_mass": _POSITIVE},
}
# Pairs that must be in order, (table, lower key, upper key): each is a range's two ends.
_ORDERED = (("embeddings", "cos_clear", "cos_one"), ("embeddings", "lean_one", "lean_clear"),
            ("embeddings", "turn_p_clear", "turn_p_one"),
            ("agreement", "low", "high"))


@dataclass(frozen=True)
class EmbeddingSettings:
    """How speaker embeddings split into two voices and mark turn changes ([embeddings])."""

    cos_clear: float
    cos_one: float
    llr_scale: float
    min_items: int
    same_cos: float
    different_cos: float
    different_change: float
    lean_one: float
    lean_clear: float
    turn_runs: int
    turn_p_one: float
    turn_p_clear: float
    min_side_s: float


@dataclass(frozen=True)
class AttributionSettings:
    """The voice side of mono attribution (attribution.toml; each value explained there)."""

    short_tau_s: float
    min_confident_speech_s: float
    line_secs_cap: float
    window_s: float
    hop_s: float
    min_windows: int
    null_runs: int
    excess_span: float
    blocks: Mapping[str, float]
    embeddings: EmbeddingSettings
    em_scale: float
    em_rate_weight: float
    em_rounds: int
    em_var_prior: float
    chain_rounds: int
    agree_low: float
    agree_high: float
    agree_null_sd: float
    text_conf_max: float
    text_balance_mass: float


def load_attribution_settings(path: str | Path | None = None) -> AttributionSettings:
    """The built-in attribution settings, with the TOML file at `path` (if given) over them.

    Read once per process and file version (``config.stamp``): an edited file is read again.

    Raises `ConfigError` naming the file and line of a problem, including a range given in the
    wrong order (``cos_clear`` not below ``cos_one``, ``lean_one`` not below ``lean_clear``,
    ``turn_p_clear`` not below ``turn_p_one``,
    ``low`` not below ``high``).
    """
    return _load_attribution_settings(path, config.stamp(ATTRIBUTION_PATH, path))


@lru_cache(maxsize=4)
def _load_attribution_settings(path: str | Path | None, _stamp: tuple) -> AttributionSettings:
    data = config.load(ATTRIBUTION_PATH, path, SCHEMA, "attribution settings")
    for table, lo, hi in _ORDERED:
        if not data[table][lo] < data[table][hi]:
            raise _order_error(path, table, lo, hi)
    emb = data["embeddings"]
    return AttributionSettings(
        blocks=MappingProxyType({k: float(v) for k, v in data["blocks"].items()}),
        embeddings=EmbeddingSettings(**{k: _typed("embeddings", k, v) for k, v in emb.items()}),
        **{name: _typed(table, key, data[table][key])
           for name, (table, key) in _FIELDS.items()},
    )


# The flat fields of AttributionSettings: where each is found in attribution.toml.
_FIELDS = {
    "short_tau_s": ("evidence", "short_tau_s"),
    "min_confident_speech_s": ("evidence", "min_confident_speech_s"),
    "line_secs_cap": ("evidence", "line_secs_cap"),
    "window_s": ("windows", "window_s"), "hop_s": ("windows", "hop_s"),
    "min_windows": ("windows", "min_windows"), "null_runs": ("windows", "null_runs"),
    "excess_span": ("windows", "excess_span"),
    "em_scale": ("em", "scale"), "em_rate_weight": ("em", "rate_weight"),
    "em_rounds": ("em", "rounds"), "em_var_prior": ("em", "var_prior"),
    "chain_rounds": ("chain", "rounds"),
    "agree_low": ("agreement", "low"), "agree_high": ("agreement", "high"),
    "agree_null_sd": ("agreement", "null_sd"),
    "text_conf_max": ("text", "conf_max"), "text_balance_mass": ("text", "balance_mass"),
}


def _typed(table: str, key: str, value: float) -> float | int:
    """A checked number as its schema's type (a whole number given for a float key is a float)."""
    return int(value) if SCHEMA[table][key].kind is int else float(value)


def _order_error(path: str | Path | None, table: str, lo: str, hi: str) -> ConfigError:
    """The error for a range whose ends are in the wrong order, at the line of its upper end in
    the file that set it (the user's file when it sets either end, else the built-in one)."""
    where = ATTRIBUTION_PATH
    if path is not None:
        doc, _ = config.parse(path)
        if doc is not None and any(k in doc.data.get(table, {}) for k in (lo, hi)):
            where = Path(path)
    doc, _ = config.parse(where)
    key = hi if doc is None or hi in doc.data.get(table, {}) else lo
    line = doc.locator.line_of(table, key=key) if doc is not None else 0
    return ConfigError(f"Cannot read the attribution settings {where}: line {line}: "
                       f"'{lo}' in [{table}] must be below '{hi}'.")
