"""The report and the ``auditor flagged`` listing as terminal text.

Why apart from the figures: the same report (``auditor.report.build``) is also an HTML page;
this module only lays it out in columns a terminal shows aligned, CJK characters included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditor.core.timefmt import clock
from auditor.report.build import (
    Distribution,
    Table,
    agent_table,
    category_table,
    day_table,
    num,
    outcome_table,
    pct,
    rule_table,
)
from auditor.report.recall import false_alarm_table, recall_lines, recall_table
from auditor.report.uncertainty import outcome_uncertainty, uncertainty_note


def _table(table: Table) -> list[str]:
    headers, rows = table
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for j, r in enumerate(cells):
        out.append("  " + "  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)))
        if j == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _width(text: str) -> int:
    """Terminal width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _dist_lines(d: Distribution, digits: int) -> list[str]:
    if not d.n:
        return [f"{d.name}: no measurements"]
    qs = d.quantiles()
    lines = [
        f"{d.name} ({d.unit}, {d.n} calls): min {num(qs['min'], digits)}, "
        f"p10 {num(qs['p10'], digits)}, median {num(qs['median'], digits)}, "
        f"p90 {num(qs['p90'], digits)}, max {num(qs['max'], digits)}"
    ]
    top = max(c for _, _, c in d.bins) or 1
    for lo, hi, c in d.bins:
        bar = "#" * round(30 * c / top)
        lines.append(f"  {num(lo, digits):>7}-{num(hi, digits):<7} {c:>5} {bar}")
    return lines


def recall_text(report: dict[str, Any]) -> list[str]:
    """The precision / recall section and the rules with the most false alarms."""
    lines = ["", "Precision and recall per category (precision over flags, recall over calls):"]
    lines += recall_lines(report)
    rows = recall_table(report)
    lines += _table(rows) if rows[1] else ["  nothing flagged or marked missed"]
    leaders = false_alarm_table(report)
    lines += ["", "Rules with the most false alarms:"]
    lines += _table(leaders) if leaders[1] else ["  no false alarm marked"]
    return lines


def format_text(report: dict[str, Any]) -> str:
    """The report as terminal text."""
    t = report["totals"]
    lines = [
        f"Call audit report: {report['database']}",
        "",
        f"Calls: {t['calls']} ({t['ok']} audited, {t['failed']} failed)   "
        f"passed: {t['passed']} of {t['ok']} ({pct(t['pass_rate'])})   "
        f"mean score: {num(t['mean_score'], 1)}   audio: {t['audio_s'] / 3600:.2f} h",
    ]
    run = report.get("last_run")
    if run:
        lines.append(
            f"Last run #{run['id']}: {run.get('status') or '?'}, started {run['started_at']}, "
            f"scored {run.get('scored') or 0}, failed {run.get('failed') or 0}, "
            f"skipped {run.get('skipped') or 0}"
        )
    lines += ["", "Flags per category:"]
    lines += _table(category_table(report)) if report["categories"] else ["  none"]
    rules = rule_table(report)
    lines += ["", "False alarms per rule (reviewed flags; the worst rule is the one to fix):"]
    lines += _table(rules) if rules[1] else ["  no flag reviewed yet"]
    lines += recall_text(report)
    lines += ["", "Per agent (worst mean score first):"]
    lines += _table(agent_table(report))
    lines += ["", "Per day:"]
    lines += _table(day_table(report))
    for by in ("agent", "campaign"):
        lines += ["", f"What the calls achieved, per {by} (promise rate over right-party "
                      "contacts; kept rate over promises decided by payments):"]
        table = outcome_table(report, by)
        lines += _table(table) if table[1] else ["  no outcome stored yet"]
    lines += [""] + _dist_lines(report["speech_rate"], 0)
    lines += [""] + _dist_lines(report["talk_ratio"], 2)
    if report["failures"]:
        lines += ["", "Calls that could not be audited:"]
        lines += [f"  {f['calls']:>4}  {f['error']}" for f in report["failures"]]
    return "\n".join(lines)


def format_outcome(card: dict[str, Any], promise_status: str | None = None) -> str:
    """What the call achieved (``Outcome: promise_to_pay, 3000 yuan due ...``), with a second
    line on the evidence when the promise rests on weak evidence (``? uncertain: ...``)."""
    o = card.get("outcome")
    if not o:
        return "Outcome: not extracted"
    parts = [o.get("result") or "?"]
    p = o.get("promise") or {}
    if p:
        if p.get("amount") is not None:
            parts.append(f"{p['amount']:g} yuan")
        if p.get("installments"):
            parts.append(f"first of {p['installments']} instalments")
        due = p.get("due") or (f"{p['due_text']!r} (no call start)" if p.get("due_text")
                               else "no date")
        parts.append(f"due {due}")
        if p.get("start") is not None:
            parts.append(f"at {clock(p['start'])}")
        if promise_status:
            parts.append(promise_status)
    c = o.get("customer") or {}
    customer = f"customer {c.get('emotion') or 'calm'}"
    if c.get("complaint_threat"):
        customer += ", threatened to complain"
    if c.get("refusal"):
        customer += ", refused"
    line = "Outcome: " + ", ".join(parts) + "; " + customer
    note = outcome_uncertainty(o)
    if note:
        line += f"\n  ? promise {note}: listen before believing"
    evidence = [e for e in o.get("evidence") or [] if isinstance(e, dict)]
    if evidence:
        line += "\n  Evidence: " + "; ".join(
            f"{clock(e.get('start'))} {e.get('kind')} {e.get('speaker') or '?'} "
            f"({e.get('matched') or ''})" for e in evidence)
    return line


def _outcome_line(e: dict[str, Any]) -> str | None:
    """A flagged call's outcome as the listing shows it, or None without an outcome column."""
    if not e.get("result"):
        return None
    parts = [str(e["result"])]
    if e.get("promise_amount") is not None:
        parts.append(f"{e['promise_amount']:g} yuan")
    if e.get("promise_due"):
        parts.append(f"due {e['promise_due']}")
    if e.get("promise_status"):
        parts.append(str(e["promise_status"]))
    note = uncertainty_note(e.get("outcome_uncertain"), e.get("uncertain_reasons"),
                            e.get("promise_confidence"))
    head = f"    outcome {'?' if note else ' '}" + ", ".join(parts)
    return head + (f"  [{note}]" if note else "")


def format_flagged(entries: Sequence[dict[str, Any]]) -> str:
    """The ``auditor flagged`` listing: one block per call, worst first, a line per flag.

    An uncertain flag (its evidence rests on low-confidence text or an unsettled speaker) is
    marked ``?`` before its severity and ``[uncertain]`` after its id, so QA listens first.
    """
    if not entries:
        return "No flagged calls match."
    lines = []
    for e in entries:
        verdict = "FAILED" if not e["passed"] else "passed"
        who = f"  agent {e['agent_id']}" if e.get("agent_id") else ""
        lines.append(
            f"{e['score'] if e['score'] is not None else '-':>3} {verdict}  {e['call_id'][:16]}  "
            f"{e['path']}{who}  {e['day']}"
        )
        outcome = _outcome_line(e)
        if outcome:
            lines.append(outcome)
        for f in e["flags"]:
            review = "" if f["review_status"] == "unreviewed" else f" [{f['review_status']}]"
            matched = f" ({f['matched']})" if f.get("matched") else ""
            unsure = bool(f.get("uncertain"))
            lines.append(
                f"    {clock(f['start'])}-{clock(f['end'])} {'?' if unsure else ' '}"
                f"{f['severity']:<8} {f['category']:<30} #{f['flag_id']}{review}"
                f"{' [uncertain]' if unsure else ''}  {f.get('evidence') or ''}{matched}"
            )
    flags = [f for e in entries for f in e["flags"]]
    confirmed = sum(f["review_status"] == "confirmed" for f in flags)
    false_alarms = sum(f["review_status"] == "false_alarm" for f in flags)
    uncertain = sum(bool(f.get("uncertain")) for f in flags)
    unsure_promises = sum(bool(e.get("outcome_uncertain")) for e in entries
                          if e.get("result") == "promise_to_pay")
    lines.append(
        f"\n{len(entries)} calls, {len(flags)} flags: {confirmed + false_alarms} reviewed "
        f"({confirmed} confirmed, {false_alarms} false alarms), "
        f"{len(flags) - confirmed - false_alarms} to review"
        + (f"; {uncertain} uncertain (?: listen before believing)" if uncertain else "")
        + (f"; {unsure_promises} uncertain promise{'s' if unsure_promises != 1 else ''}"
           if unsure_promises else "")
    )
    return "\n".join(lines)
