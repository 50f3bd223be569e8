"""`auditor rescore`: the current rules applied to the stored calls, without audio; thin over
``auditor.batch.rescore``. The text views of a rescore and of `auditor rules test` are here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from auditor.cli.options import db_option, json_option, open_db, rules_option
from auditor.core.scorecard import short_id
from auditor.core.timefmt import clock

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--since``: a ``YYYY-MM-DD`` date or nothing."""
    if value is not None and not _DATE.match(value):
        raise click.BadParameter(f"'{value}' is not a date like 2026-03-01")
    return value


def since_option(fn: Any) -> Any:
    """``--since DATE``: only calls of that day or later."""
    return click.option("--since", callback=check_date, metavar="DATE",
                        help="Only calls on or after this day, YYYY-MM-DD (the call's date from "
                             "the metadata, else the day it was processed).")(fn)


def _verdict(passed: bool | None) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "FAIL")


def rule_table(rows: list[Mapping[str, Any]], new: str, lost: str) -> list[str]:
    """Per rule: how many flags appeared and disappeared."""
    if not rows:
        return ["no flag appeared or disappeared"]
    width = max(len("rule"), *(len(r["rule"]) for r in rows))
    lines = [f"{'rule'.ljust(width)}  {new:>8}  {lost:>8}"]
    lines += [f"{r['rule'].ljust(width)}  {r['appeared']:>8}  {r['disappeared']:>8}"
              for r in rows]
    return lines


def pass_fail_lines(changes: list[Mapping[str, Any]]) -> list[str]:
    """Calls whose pass/fail verdict changed."""
    if not changes:
        return ["no call changed pass/fail"]
    lines = [f"{len(changes)} call(s) changed pass/fail:"]
    for c in changes:
        lines.append(f"  {short_id(c['call_id'])}  {_verdict(c['passed_before'])} -> "
                     f"{_verdict(c['passed_after'])}  score {c['score_before']} -> "
                     f"{c['score_after']}  {c.get('path') or ''}".rstrip())
    return lines


def format_rescore(data: Mapping[str, Any]) -> str:
    """The text summary of ``RescoreSummary.as_dict()``."""
    lines = [
        f"rescored {data['rescored']} call(s) with rules {data['rules_version']} in "
        f"{data['wall_s']:.2f} s: {data['changed']} rewritten ({data['flags_changed']} with "
        f"flags changed), {data['skipped']} already at this version, {data['not_audited']} not "
        f"audited (of {data['considered']})",
        *rule_table(data["rules"], "appeared", "gone"),
        *pass_fail_lines(data["pass_fail_changes"]),
        f"verdicts kept on flags raised again: {data['kept_verdicts']}",
    ]
    lost = data["lost_verdicts"]
    lines.append(f"verdicts lost (their flag is no longer raised): {len(lost)}")
    for v in lost:
        lines.append(f"  {short_id(v['call_id'])}  {v['rule']} at {clock(v['start'])}  "
                     f"{v['verdict']} by {v.get('reviewer') or '?'}"
                     + (f": {v['comment']}" if v.get("comment") else ""))
    return "\n".join(lines)


@click.command()
@db_option
@rules_option
@since_option
@click.option("--force", is_flag=True,
              help="Rescore calls already at the current rules version too (after a change of "
                   "thresholds or scoring, which the rules version does not cover).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes that judge calls (the writes stay in one).")
@json_option("Print the summary as JSON.")
def rescore(db: Path, rules_dirs: tuple[Path, ...], since: str | None, force: bool,
            workers: int, as_json: bool) -> None:
    """Apply the current rules, steps, delivery checks and scoring to the stored calls.

    No audio is decoded: the stored transcripts, measures and metrics are judged again. A flag
    raised again (same rule, same utterance) keeps its verdict. One transaction per call; a
    second run skips the calls done (use --force to redo them).
    """
    from auditor.batch.rescore import rescore as run_rescore
    from auditor.store.db import StoreError

    with open_db(db) as store:
        try:
            summary = run_rescore(store, rules_dirs, since=since, force=force,
                                  workers=workers)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
    data = summary.as_dict()
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json
               else format_rescore(data))


def format_rules_test(data: Mapping[str, Any]) -> str:
    """The text report of ``RulesTest.as_dict()``: rules, examples, verdicts."""
    lines = [f"rules {data['before_version']} -> {data['after_version']} over "
             f"{data['calls']} stored call(s)",
             *rule_table(data["rules"], "new hits", "lost")]
    for r in data["rules"]:
        for kind, key in (("new", "new_examples"), ("lost", "lost_examples")):
            for e in r[key]:
                lines.append(f"  {kind:4} {r['rule']}  {short_id(e['call_id'])} at "
                             f"{clock(e['start'])}: {e.get('evidence') or ''}".rstrip())
    v = data["verdicts"]
    b, a = v["before"], v["after"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    lines += [
        f"reviewed verdicts: confirmed flags lost {len(v['confirmed_lost'])}, false alarms "
        f"removed {len(v['false_alarms_removed'])}",
        f"  precision {pct(b['precision'])} -> {pct(a['precision'])}  (confirmed "
        f"{b['confirmed']} -> {a['confirmed']}, false alarms {b['false_alarms']} -> "
        f"{a['false_alarms']})",
        f"  recall against confirmed verdicts {pct(b['recall'])} -> {pct(a['recall'])}",
    ]
    for item in v["confirmed_lost"]:
        lines.append(f"  lost confirmed  {short_id(item['call_id'])} {item['rule']} at "
                     f"{clock(item['start'])} ({item.get('reviewer') or '?'})")
    if v["not_raised_by_current_rules"]:
        lines.append(f"  {v['not_raised_by_current_rules']} verdict(s) are on flags the current "
                     "rules no longer raise (run `auditor rescore` to see them)")
    lines += pass_fail_lines(data["pass_fail_changes"])
    lines.append("nothing was written")
    return "\n".join(lines)
