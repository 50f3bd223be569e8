"""Per-line voice measures (loudness, pitch, rate) and their median per speaker.

`voice` is optional. It may be a mapping with a key ``"utterances"`` holding one mapping per
utterance (same order) with ``loudness_dbfs`` and ``pitch_hz``; or a mapping from utterance index
to such a mapping. Without it the utterance dicts' own ``loudness_dbfs`` / ``pitch_hz`` are used,
as the pipeline writes them today. It may also carry ``"voices"``: how many distinct voices the
recording holds (1 means nobody answered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import median
from typing import Any

from .text import han_count


def line_measures(utts: Sequence[Mapping], voice: Mapping | None) -> list[dict[str, float | None]]:
    """For each utterance: loudness_dbfs, pitch_hz (None when unmeasured) and rate_cpm."""
    per: Any = None
    if voice is not None:
        per = voice.get("utterances", voice)
    out = []
    for i, u in enumerate(utts):
        src: Mapping = u
        if isinstance(per, Sequence) and i < len(per) and isinstance(per[i], Mapping):
            src = per[i]
        elif isinstance(per, Mapping) and isinstance(per.get(i), Mapping):
            src = per[i]
        dur = (u.get("end") or 0.0) - (u.get("start") or 0.0)
        rate = han_count(u.get("text") or "") / dur * 60 if dur > 0 else None
        out.append({"loudness_dbfs": _f(src.get("loudness_dbfs")),
                    "pitch_hz": _f(src.get("pitch_hz")), "rate_cpm": rate, "duration_s": dur})
    return out


def _f(v: Any) -> float | None:
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def speaker_median(utts: Sequence[Mapping], measures: list[dict], speaker: str, key: str,
                   min_lines: int, min_s: float = 0.0) -> float | None:
    """The median of `key` over `speaker`'s lines, or None with fewer than `min_lines` values."""
    vals = [m[key] for u, m in zip(utts, measures, strict=True)
            if u.get("speaker") == speaker and m[key] is not None and m["duration_s"] >= min_s]
    return median(vals) if len(vals) >= min_lines else None


def voices(voice: Mapping | None) -> int | None:
    """How many distinct voices the recording holds, when `voice` says."""
    n = voice.get("voices") if voice is not None else None
    return int(n) if isinstance(n, (int, float)) and not isinstance(n, bool) else None
