"""What the batch adds to a worker's scorecard before the save: pure functions, applied in order.

Why here and not in the store: the store only stores. The batch knows the metadata, the redaction
option and the other calls of the same debtor, so it finishes each scorecard, and scores it ONCE
when its flags are final:

1. redaction (``--redact``): personal numbers masked in utterances and flags, first, so nothing
   added later (a debtor id in a frequency flag) is masked by mistake;
2. the metadata join: the ``metadata`` field and the call-hours flag (the ``outcome`` is not
   touched: the worker was handed the call's start and extracted it once, dates resolved);
3. the per-debtor-per-day frequency rule over this call and the stored calls of its group
   (``Store.frequency_group``): this call's frequency flag, and the other calls whose flags
   change with it (rescored, to be rewritten in the same transaction);
4. scoring (``auditor.score.scoring.score_card``, the packaged configuration as the store
   always used).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.batch import metadata as md
from auditor.score.scoring import score_card

# ---------------------------------------------------------------- redaction

# digits as compliance.numbers reads them (telephone readings, financial numerals)
_DIGIT = "0-9０-９〇零一二三四五六七八九幺两洞拐勾壹贰叁肆伍陆柒捌玖"
_NUMBER_RE = re.compile(rf"(?:\+\s?86[\s-]?)?[{_DIGIT}](?:[\s-]?[{_DIGIT}]){{6,}}(?:[Xx叉])?")


def redact_text(text: str | None) -> str | None:
    """Mask personal numbers: validated ones as ``compliance.pii`` does, other 7+ digit runs too.

    ``13912345678`` -> ``139****5678`` (a valid mobile); ``1234567890`` -> ``******7890``.
    Amounts such as ``五千三百元`` or ``5300`` are untouched. Over-masking a long date is
    accepted: a stored personal number is the worse error.
    """
    if not text:
        return text
    from auditor.compliance.pii import mask_text

    # The PII finder masks validated numbers precisely (first 3 and last 4 kept) ...
    text = mask_text(text)
    # ... and any other long digit run (ASR-garbled, failed checksum) is masked here.

    def mask(m: re.Match[str]) -> str:
        chars = [c for c in m.group(0) if c not in " -+\t"]
        keep = "".join(chars[-4:])
        return "*" * (len(chars) - 4) + keep

    return _NUMBER_RE.sub(mask, text)


def redact_card(card: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a scorecard with personal numbers masked in utterances and flags."""
    out = copy.deepcopy(dict(card))
    for utt in out.get("utterances") or []:
        utt["text"] = redact_text(utt.get("text"))
    for flag in out.get("flags") or []:
        for key in ("evidence", "matched"):
            if isinstance(flag.get(key), str):
                flag[key] = redact_text(flag[key])
    return out


# ---------------------------------------------------------------- metadata


def meta_columns(meta: md.CallMeta | None) -> dict[str, Any]:
    """The metadata columns of the call's row (all ``None`` without metadata)."""
    if meta is None:
        return {k: None for k in ("agent_id", "debtor_id", "campaign", "call_start", "call_date")}
    return meta.as_columns()


def join_metadata(card: dict[str, Any], meta: md.CallMeta | None) -> dict[str, Any]:
    """Add the ``metadata`` field and the call-hours flag to ``card`` (in place); returns it."""
    if meta is None:
        return card
    card["metadata"] = {
        k: v for k, v in meta.as_columns().items() if k != "call_date" and v is not None
    }
    if meta.connected is not None:
        card["metadata"]["connected"] = meta.connected
    flags = [f for f in card.get("flags") or [] if f.get("category") != md.CALL_HOURS]
    hours = md.call_hours_flag(meta, card.get("duration_s"))
    card["flags"] = flags + ([hours] if hours else [])
    return card


# ---------------------------------------------------------------- frequency


@dataclass
class GroupCall:
    """One call of a debtor's day as the frequency rule sees it."""

    call_id: str
    call_start: str | None
    duration_s: float | None
    card: dict[str, Any]
    meta: md.CallMeta | None = None


def _stored_meta(card: Mapping[str, Any]) -> md.CallMeta | None:
    """The dialler's ``connected`` answer kept in a stored card's metadata, if any."""
    connected = (card.get("metadata") or {}).get("connected")
    return None if connected is None else md.CallMeta(file="", connected=bool(connected))


def frequency_flags(
    debtor_id: str, day: str, calls: Iterable[GroupCall]
) -> dict[str, list[dict[str, Any]]]:
    """Each call's flags with the ``call_frequency`` flags of one debtor's day re-derived.

    Calls finish in any order in a parallel batch, so the whole group is recomputed whenever
    one of its calls is saved. Returns ``{call_id: flags}`` for every call of the group.
    """
    calls = list(calls)
    connected = [(c.call_id, c.call_start) for c in calls if md.is_connected(c.meta, c.card)]
    over = md.over_limit(connected)
    out = {}
    for c in calls:
        flags = [f for f in c.card.get("flags") or [] if f.get("category") != md.CALL_FREQUENCY]
        if c.call_id in over:
            flags.append(
                md.frequency_flag(debtor_id, day, over[c.call_id], len(connected), c.duration_s)
            )
        out[c.call_id] = flags
    return out


# ---------------------------------------------------------------- the whole enrichment


@dataclass
class Enriched:
    """A scorecard ready for ``Store.save_call`` and what goes with it."""

    card: dict[str, Any]
    columns: dict[str, Any]
    regrouped: dict[str, dict[str, Any]] = field(default_factory=dict)


def score(card: Mapping[str, Any]) -> dict[str, Any]:
    """The finished card scored (the one scoring of a batch call), as a new dict.

    The ``metadata`` field stays the last one, where it was when the worker scored the card.
    """
    out = score_card(card)
    if "metadata" in out and out.get("status") != "failed":
        out["metadata"] = out.pop("metadata")
    return out


def enrich(
    card: Mapping[str, Any],
    *,
    call_id: str,
    path: str,
    meta: md.CallMeta | None = None,
    redact: bool = False,
    group: Iterable[Mapping[str, Any]] = (),
) -> Enriched:
    """Finish a worker's scorecard: redaction, metadata, frequency, then ONE scoring.

    ``group`` are the stored calls ``Store.frequency_group`` returns for this call (rows with
    ``id``, ``debtor_id``, ``call_date``, ``call_start``, ``duration_s`` and ``card``); those
    whose flags change come back in ``regrouped``, rescored.
    """
    out = redact_card(card) if redact else copy.deepcopy(dict(card))
    out["call_id"] = call_id
    out.setdefault("file", path)
    join_metadata(out, meta)
    columns = meta_columns(meta)
    groups: dict[tuple[str, str], list[GroupCall]] = {}
    for row in group:
        others = groups.setdefault((row["debtor_id"], row["call_date"]), [])
        others.append(
            GroupCall(row["id"], row["call_start"], row["duration_s"], row["card"],
                      _stored_meta(row["card"]))
        )
    if columns["debtor_id"] and columns["call_date"]:
        groups.setdefault((columns["debtor_id"], columns["call_date"]), []).append(
            GroupCall(call_id, columns["call_start"], out.get("duration_s"), out, meta)
        )
    regrouped: dict[str, dict[str, Any]] = {}
    for (debtor_id, day), calls in groups.items():
        if not (debtor_id and day):
            continue
        derived = frequency_flags(debtor_id, day, calls)
        for c in calls:
            flags = derived[c.call_id]
            if c.call_id == call_id:
                out["flags"] = flags
            elif flags != (c.card.get("flags") or []):
                other = copy.deepcopy(c.card)
                other["flags"] = flags
                regrouped[c.call_id] = score_card(other)
    return Enriched(score(out), columns, regrouped)
