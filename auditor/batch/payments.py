"""Were the promises kept? A payments file (CSV or JSON: debtor_id, paid_at, amount) against the
stored promises to pay.

Why in the batch: like the metadata, payments come from another system (the ledger) and are
joined to the calls after they are audited; the store only keeps the verdict
(``calls.promise_status``). A promise is **kept** when the debtor paid, after the call and by the
due date, at least the promised amount in total (any payment when no amount was named);
**broken** when its due date has passed without that; otherwise **pending** (not due yet, or no
due date or debtor id known to judge by).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from auditor.core.errors import AuditorError

KEPT, BROKEN, PENDING = "kept", "broken", "pending"


class PaymentsError(AuditorError, ValueError):
    """The payments file cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Payment:
    """One payment from the ledger."""

    debtor_id: str
    paid_at: date
    amount: float


def _day(value: Any, where: str) -> date:
    text = str(value or "").strip()
    if not text:
        raise PaymentsError(f"{where}: paid_at is empty")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise PaymentsError(f"{where}: paid_at {text!r} is not an ISO date or time") from None


def _amount(value: Any, where: str) -> float:
    text = str(value if value is not None else "").replace(",", "").replace("元", "").strip()
    try:
        amount = float(text)
    except ValueError:
        raise PaymentsError(f"{where}: amount {value!r} is not a number") from None
    if amount < 0:
        raise PaymentsError(f"{where}: amount {value!r} is negative")
    return amount


def parse_payments(records: Iterable[Mapping[str, Any]], source: str = "payments",
                   unit: str = "record", first: int = 1) -> list[Payment]:
    """Payments from records with ``debtor_id``, ``paid_at`` and ``amount`` (validated); an
    error names the ``unit`` (record, line) numbered from ``first``."""
    out = []
    for n, rec in enumerate(records, start=first):
        where = f"{source}, {unit} {n}"
        if not isinstance(rec, Mapping):
            raise PaymentsError(f"{where}: not an object with debtor_id, paid_at, amount")
        debtor = str(rec.get("debtor_id") or "").strip()
        if not debtor:
            raise PaymentsError(f"{where}: debtor_id is empty")
        out.append(Payment(debtor, _day(rec.get("paid_at"), where),
                           _amount(rec.get("amount"), where)))
    return out


def load_payments(path: str | Path) -> list[Payment]:
    """Read a CSV (header debtor_id,paid_at,amount) or JSON (a list of such objects) file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PaymentsError(f"Cannot read the payments file {p}: {exc.strerror or exc}") from exc
    if p.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PaymentsError(f"{p} is not valid JSON: {exc}") from exc
        if isinstance(data, Mapping):
            data = data.get("payments", [])
        if not isinstance(data, list):
            raise PaymentsError(f"{p}: expected a list of payments")
        return parse_payments(data, str(p))
    reader = csv.DictReader(io.StringIO(text))
    missing = {"debtor_id", "paid_at", "amount"} - set(reader.fieldnames or [])
    if missing:
        raise PaymentsError(f"{p}: missing column(s) {', '.join(sorted(missing))}")
    return parse_payments(reader, str(p), "line", first=2)  # the header is line 1


def _start_day(call_start: Any) -> date | None:
    if not call_start:
        return None
    try:
        return datetime.fromisoformat(str(call_start)).date()
    except ValueError:
        return None


def promise_status(promise: Mapping[str, Any], payments: Sequence[Payment], today: date) -> str:
    """kept / broken / pending for one stored promise (``debtor_id``, ``amount``, ``due``,
    ``call_start``) given the ledger and the day it is judged on."""
    debtor = promise.get("debtor_id")
    due = date.fromisoformat(promise["due"]) if promise.get("due") else None
    if not debtor:
        return PENDING
    since = _start_day(promise.get("call_start"))
    paid = sum(p.amount for p in payments
               if p.debtor_id == debtor and (since is None or p.paid_at >= since)
               and (due is None or p.paid_at <= due))
    wanted = promise.get("amount")
    if (paid > 0 and wanted is None) or (wanted is not None and paid >= float(wanted) > 0):
        return KEPT
    if due is not None and due < today:
        return BROKEN
    return PENDING


def promise_statuses(promises: Iterable[Mapping[str, Any]], payments: Sequence[Payment],
                     today: date | None = None) -> dict[str, str]:
    """``{call_id: status}`` for the stored promises (``auditor.store.queries.promises``)."""
    today = today or date.today()
    return {p["call_id"]: promise_status(p, payments, today) for p in promises}


def apply_payments(db_path: str | Path, payments: Sequence[Payment],
                   today: date | None = None) -> dict[str, int]:
    """Mark every promise in the store kept, broken or pending; returns the count of each."""
    from auditor.store import queries
    from auditor.store.db import Store

    with Store(db_path) as store:
        statuses = promise_statuses(queries.promises(store.db), payments, today)
        queries.set_promise_status(store.db, statuses)
    counts = {KEPT: 0, BROKEN: 0, PENDING: 0}
    for s in statuses.values():
        counts[s] += 1
    return counts
