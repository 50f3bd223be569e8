"""Call metadata (start time, agent, debtor, campaign) read from a CSV or JSON file.

Why: the call-hours and call-frequency rules (no collection calls 22:00-08:00, at most 3
connected conversations per debtor per day) depend on facts the audio cannot show. QA teams
export them from the dialler, keyed by recording file name; the batch joins them on ingest.

Accepted files:

* CSV with a header row: ``file,call_start,agent_id,debtor_id,campaign[,connected]``;
* JSON: a list of objects with a ``file`` key, or an object keyed by file name.

``call_start`` is ISO 8601 (``2025-03-01 21:30:00``, ``2025-03-01T21:30:00+08:00``); it is read
as the local wall-clock time of the call. Files are matched by full path first, then by base
name. The flags raised here use the informational categories ``call_hours`` and
``call_frequency`` (severity ``info``) so they never collide with the spec's categories and never
change the score.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from auditor.core.errors import AuditorError
from auditor.core.flag import make_flag

CALL_HOURS = "call_hours"
CALL_FREQUENCY = "call_frequency"
QUIET_START_HOUR = 22  # calls at or after 22:00 ...
QUIET_END_HOUR = 8  # ... or before 08:00 are flagged
MAX_CONNECTED_PER_DAY = 3

_ALIASES = {
    "file": ("file", "filename", "file_name", "path", "recording"),
    "call_start": ("call_start", "start_time", "started_at", "call_time", "start"),
    "agent_id": ("agent_id", "agent"),
    "debtor_id": ("debtor_id", "debtor", "customer_id"),
    "campaign": ("campaign", "campaign_id"),
    "connected": ("connected", "answered"),
}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


class MetadataError(AuditorError, ValueError):
    """The metadata file cannot be used; the message says which file and row."""


@dataclass(frozen=True)
class CallMeta:
    """What the dialler knows about one recording."""

    file: str
    call_start: datetime | None = None
    agent_id: str | None = None
    debtor_id: str | None = None
    campaign: str | None = None
    connected: bool | None = None  # None: decide from the audio

    @property
    def call_date(self) -> date | None:
        """The local calendar day of the call (what the per-day limit counts by)."""
        return self.call_start.date() if self.call_start else None

    def as_columns(self) -> dict[str, Any]:
        """The fields as stored on a ``calls`` row."""
        return {
            "agent_id": self.agent_id,
            "debtor_id": self.debtor_id,
            "campaign": self.campaign,
            "call_start": self.call_start.isoformat() if self.call_start else None,
            "call_date": self.call_date.isoformat() if self.call_date else None,
        }


class MetadataIndex:
    """Metadata records looked up by recording path or base name."""

    def __init__(self, records: Iterable[CallMeta] = ()) -> None:
        self._by_path: dict[str, CallMeta] = {}
        self._by_name: dict[str, CallMeta] = {}
        for meta in records:
            self._by_path[meta.file] = meta
            self._by_name[Path(meta.file).name] = meta

    def __len__(self) -> int:
        return len(self._by_path)

    def lookup(self, path: str | Path) -> CallMeta | None:
        """The record for a recording: exact path first, then its base name."""
        return self._by_path.get(str(path)) or self._by_name.get(Path(path).name)


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO-8601-ish call start time; empty means unknown."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"cannot read the time {text!r}; use ISO 8601 such as 2025-03-01 21:30:00")


def _parse_bool(value: Any) -> bool | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "t"):
        return True
    if text in ("0", "false", "no", "n", "f"):
        return False
    raise ValueError(f"cannot read {value!r} as yes/no")


def _pick(row: Mapping[str, Any], field: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for alias in _ALIASES[field]:
        if alias in lowered:
            return lowered[alias]
    return None


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def record_from_row(row: Mapping[str, Any], where: str) -> CallMeta:
    """One record from a CSV row or JSON object; ``where`` names it in error messages."""
    file = _text(_pick(row, "file"))
    if not file:
        raise MetadataError(f"{where}: no file name (a 'file' column is required)")
    try:
        return CallMeta(
            file=file,
            call_start=parse_time(_pick(row, "call_start")),
            agent_id=_text(_pick(row, "agent_id")),
            debtor_id=_text(_pick(row, "debtor_id")),
            campaign=_text(_pick(row, "campaign")),
            connected=_parse_bool(_pick(row, "connected")),
        )
    except ValueError as exc:
        raise MetadataError(f"{where}: {exc}") from exc


def load_metadata(path: str | Path) -> MetadataIndex:
    """Read a CSV or JSON metadata file (JSON by extension, or when it starts with [ or {)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MetadataError(f"Cannot read the metadata file {p}: {exc.strerror or exc}") from exc
    stripped = text.lstrip()
    if p.suffix.lower() == ".json" or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MetadataError(f"{p} is not valid JSON: {exc}") from exc
        if isinstance(data, dict):
            rows = [{"file": name, **(fields or {})} for name, fields in data.items()]
        elif isinstance(data, list):
            rows = data
        else:
            raise MetadataError(f"{p}: expected a list of objects or an object keyed by file")
        records = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise MetadataError(f"{p} item {i + 1}: expected an object")
            records.append(record_from_row(row, f"{p} item {i + 1}"))
        return MetadataIndex(records)
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        raise MetadataError(f"{p} is empty; expected a header row starting with 'file'")
    records = [record_from_row(row, f"{p} line {n}") for n, row in enumerate(reader, start=2)]
    return MetadataIndex(records)


def is_quiet_hours(when: datetime) -> bool:
    """True when a call placed at ``when`` falls in the 22:00-08:00 window."""
    return when.hour >= QUIET_START_HOUR or when.hour < QUIET_END_HOUR


def call_hours_flag(meta: CallMeta | None, duration_s: float | None) -> dict[str, Any] | None:
    """An informational flag when the call was placed between 22:00 and 08:00, else None."""
    if meta is None or meta.call_start is None or not is_quiet_hours(meta.call_start):
        return None
    return make_flag(
        CALL_HOURS, f"{CALL_HOURS}.quiet_hours", "info", "agent", 0.0, float(duration_s or 0.0),
        f"call placed at {meta.call_start.strftime('%H:%M')} "
        f"(no collection calls {QUIET_START_HOUR}:00-{QUIET_END_HOUR:02d}:00)",
        meta.call_start.isoformat(),
    )


def frequency_flag(
    debtor_id: str, day: str, rank: int, total: int, duration_s: float | None
) -> dict[str, Any]:
    """The informational flag for the ``rank``-th connected call of a debtor on one day."""
    return make_flag(
        CALL_FREQUENCY, f"{CALL_FREQUENCY}.daily_limit", "info", "agent", 0.0,
        float(duration_s or 0.0),
        f"connected call {rank} of {total} to debtor {debtor_id} on {day} "
        f"(limit {MAX_CONNECTED_PER_DAY} per day)",
        debtor_id,
    )


def over_limit(
    calls: Iterable[tuple[str, str | None]], limit: int = MAX_CONNECTED_PER_DAY
) -> dict[str, int]:
    """Which of one debtor's connected calls on one day exceed the limit.

    ``calls`` are ``(call_id, call_start_iso)`` pairs; they are ordered by start time (ties by
    id, so the answer does not depend on the order the batch finished them). Returns
    ``{call_id: rank}`` for every call ranked above ``limit`` (rank counts from 1).
    """
    ordered = sorted(calls, key=lambda c: (c[1] or "", c[0]))
    return {cid: rank for rank, (cid, _) in enumerate(ordered, start=1) if rank > limit}


def is_connected(meta: CallMeta | None, card: Mapping[str, Any]) -> bool:
    """Whether a call counts as a connected conversation for the per-day limit.

    The dialler's ``connected`` column wins; without it a call is connected when it was audited
    and the customer spoke (or, lacking metrics, when any utterance was heard).
    """
    if meta is not None and meta.connected is not None:
        return meta.connected
    if card.get("status") != "ok":
        return False
    customer = (card.get("metrics") or {}).get("customer") or {}
    if "talk_s" in customer and customer["talk_s"] is not None:
        return float(customer["talk_s"]) > 0
    return bool(card.get("utterances"))
