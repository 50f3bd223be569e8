"""`auditor rules list` and `auditor rules check FILE.toml ...`: the active rules, and a rule
pack's problems by line (over ``auditor.compliance.rules`` and ``rulepack``); `auditor rules
explain TEXT`; `auditor rules test DIR --db DB`: a pack change tried on history (over
``auditor.batch.rescore``)."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.options import rules_option
from auditor.cli.rescore import since_option


@click.group()
def rules() -> None:
    """List the active compliance rules or check a rule pack."""


@rules.command("list")
@rules_option
def rules_list(rules_dirs: tuple[Path, ...]) -> None:
    """Show the active rules and script steps: id, category, severity, speakers, phrases."""
    from auditor.compliance.rulepack import RulePackError
    from auditor.compliance.rules import load_rules

    try:
        active = load_rules(extra_dirs=list(rules_dirs))
    except RulePackError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = active.describe()
    header = ("id", "category", "severity", "speakers", "phrases", "patterns")
    table = [[str(r[h]) if h != "phrases" or not r["detector"] else r["detector"]
              for h in header] for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    for cells in [list(header), *table]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    from auditor.analysis import rules_version

    # the version scorecards are stamped with: the packs and the judging configuration
    click.echo(f"{len(rows)} rules and steps from {len(active.packs)} packs, "
               f"version {rules_version(active)}")


@rules.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def rules_check(files: tuple[Path, ...]) -> None:
    """Validate rule packs or example files (FILE.toml ...); list each problem by line, exit 1
    if any. A file with [examples.*] or [layer] tables is checked as an example file."""
    from auditor.compliance.rulepack import check_pack
    from auditor.compliance.similar import check_examples, is_examples_file

    problems = [p for f in files
                for p in (check_examples(f) if is_examples_file(f) else check_pack(f))]
    for p in problems:
        click.echo(p)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {', '.join(str(f) for f in files)}")


@rules.command("explain")
@click.argument("text")
@click.option("--speaker", type=click.Choice(["agent", "customer", "unknown"]), default="agent",
              show_default=True, help="Who says the text.")
@click.option("--after", "after", multiple=True, metavar="SPEAKER:TEXT",
              help="An earlier utterance, e.g. 'customer:不是，我是他同事' (repeatable).")
@rules_option
def rules_explain(text: str, speaker: str, after: tuple[str, ...],
                  rules_dirs: tuple[Path, ...]) -> None:
    """Show which rules match TEXT and on which words, and for each near-miss why not."""
    from auditor.compliance.positions import explain
    from auditor.compliance.rulepack import RulePackError
    from auditor.compliance.rules import load_rules

    before = []
    for a in after:
        sp, sep, t = a.partition(":")
        if not sep or sp not in ("agent", "customer", "unknown"):
            raise click.BadParameter(f"'{a}' must be SPEAKER:TEXT", param_hint="--after")
        before.append({"speaker": sp, "text": t})
    try:
        active = load_rules(extra_dirs=list(rules_dirs))
    except RulePackError as exc:
        raise click.ClickException(str(exc)) from exc
    ex = explain(text, active, speaker, before)
    for rule, hits in ex.matched:
        words = "、".join(dict.fromkeys(f"{h.surface} ({h.via})" for h in hits))
        click.echo(f"MATCH {rule.id} [{rule.category}, {rule.severity}]: {words}")
        if rule.id in ex.subsumed:
            click.echo(f"  raised as {ex.subsumed[rule.id]} only: its words lie inside that "
                       f"match ([context] subsumed)")
    for rule, notes in ex.near_misses:
        for n in notes:
            click.echo(f"near-miss {rule.id}: {n}")
    if not ex.matched:
        click.echo("no rule matches" + ("" if ex.near_misses else " and nothing came close"))
    from auditor.compliance.rules import examples_for
    from auditor.compliance.similar import class_members, load_examples

    layer = active.examples or load_examples(examples_for(list(rules_dirs)),
                                             class_members(active.concepts), force=True)
    if layer is None:
        click.echo("example layer: none (no example files with [layer] settings)")
        return
    raised = {rule.category for rule, _ in ex.matched}
    eligible = speaker == "agent"
    state = "on" if active.examples is not None else \
        "OFF in audits ([layer] enabled = false); what it would say"
    click.echo(f"example layer {state} (default threshold {layer.threshold:g}, gate {layer.gate}; "
               f"each category with its own below; asked only on agent lines, for categories no "
               f"rule raised):")
    from auditor.compliance.matching import analyse, layer_support

    a = analyse(text, active)
    for v in layer.judge(text):
        if v.category not in layer.categories:
            continue
        support = layer_support(v.category, a, active, layer.gate_for(v.category))
        if not eligible:
            verdict = "not asked (not an agent line)"
        elif v.category in raised:
            verdict = "not asked (a rule raised it)"
        elif not v.raised:
            verdict = "below threshold"
        elif support:
            words = "、".join(w for w in support if w != "-")
            verdict = "RAISED, uncertain" + (f" (the rules see {words})" if words else "")
        else:
            verdict = f"not raised: the rules do not corroborate it (gate " \
                      f"{layer.gate_for(v.category)})"
        near = f"nearest example '{v.nearest.text}' ({v.nearest.file}, similarity " \
               f"{v.similarity:.2f})" if v.nearest else "no example"
        own = f"threshold {layer.threshold_for(v.category):g}, gate {layer.gate_for(v.category)}"
        click.echo(f"  {v.category:24} score {v.score:.2f} ({own})  {verdict}; {near}")


@rules.command("test")
@click.argument("pack_dir", metavar="DIR", type=click.Path(exists=True, path_type=Path))
@click.option("--db", required=True, type=click.Path(path_type=Path),
              help="The SQLite database of audited calls (opened read-only).")
@rules_option
@since_option
@click.option("--examples", type=click.IntRange(0, 50), default=3, show_default=True,
              help="Examples shown per rule and kind (new, lost).")
@click.option("--json", "as_json", is_flag=True, help="Print the dry run as JSON.")
def rules_test(pack_dir: Path, db: Path, rules_dirs: tuple[Path, ...], since: str | None,
               examples: int, as_json: bool) -> None:
    """Dry-run a pack change (DIR holds the changed packs) against the stored calls.

    A pack in DIR named like an active pack replaces it; any other is added. Shows per rule the
    new and lost hits with examples, and against QA's verdicts the confirmed flags the change
    would lose, the false alarms it would remove, precision and recall before and after.
    Nothing is written.
    """
    import json

    from auditor.batch.rescore import open_read_only
    from auditor.batch.rescore import rules_test as run_test
    from auditor.cli.rescore import format_rules_test
    from auditor.store.db import StoreError

    try:
        database = open_read_only(db)
        try:
            result = run_test(database, pack_dir, rules_dirs, since=since, examples=examples)
        finally:
            database.close()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    data = result.as_dict()
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json
               else format_rules_test(data))
