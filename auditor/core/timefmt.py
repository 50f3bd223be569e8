"""One way to show a time in a recording to a person: ``mm:ss.s``."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """``mm:ss.s`` from the start of the recording; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(max(0.0, float(seconds)), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"
