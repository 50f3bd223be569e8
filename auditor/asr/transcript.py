"""Read an existing transcript (from a telephony system, or a truth file) for a text-only audit.

Accepts a JSON list of utterances, or an object with an `utterances` list (a scorecard or a
truth file), each `{"speaker", "start", "end", "text"}` as in the scorecard spec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.core.errors import AuditorError
from auditor.core.vocab import SPEAKERS


class TranscriptError(AuditorError):
    """A transcript file that cannot be used, with one sentence saying why."""


def load_transcript(path: str | Path) -> tuple[list[dict[str, Any]], str | None]:
    """The utterances of a transcript file and its layout (if it says)."""
    path = Path(path)
    if not path.is_file():
        raise TranscriptError(f"{path} does not exist; check the path.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TranscriptError(f"{path} is not valid UTF-8 JSON ({exc}).") from None
    layout = None
    if isinstance(data, dict):
        layout = data.get("layout")
        data = data.get("utterances")
    if not isinstance(data, list):
        raise TranscriptError(
            f"{path} holds no utterance list; expected a JSON list of "
            '{"speaker", "start", "end", "text"} or an object with "utterances".'
        )
    return normalise_utterances(data, str(path)), layout


def normalise_utterances(items: list[Any], source: str = "transcript") -> list[dict[str, Any]]:
    """Checked, sorted utterance dicts with float times and a known speaker."""
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "text" not in item:
            raise TranscriptError(f"{source}: utterance {i + 1} has no text.")
        speaker = str(item.get("speaker", "unknown")).lower()
        if speaker not in SPEAKERS:
            raise TranscriptError(
                f"{source}: utterance {i + 1} has speaker {speaker!r}; use agent, customer or "
                "unknown."
            )
        try:
            start = float(item.get("start", 0.0))
            end = float(item.get("end", start))
        except (TypeError, ValueError):
            raise TranscriptError(f"{source}: utterance {i + 1} has a non-numeric time.") from None
        utterance = {"speaker": speaker, "start": start, "end": max(start, end),
                     "text": str(item["text"]), "channel": int(item.get("channel", 0) or 0)}
        out.append(utterance)
    out.sort(key=lambda u: u["start"])
    return out
