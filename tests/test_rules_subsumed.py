"""context.toml `subsumed`: one act raised once, under its most specific category."""

from __future__ import annotations

from pathlib import Path

from auditor.compliance.audit import most_specific
from auditor.compliance.rulepack import check_pack
from tests.helpers import agent_line_flags, categories


def _flag(category: str) -> dict:
    return {"category": category, "start": 0.0}


def test_a_general_hit_inside_a_specific_one_is_left_out() -> None:
    line = [(_flag("threat"), [(6, 8)]), (_flag("false_legal"), [(4, 10)])]
    assert [f["category"] for f in most_specific(line, [("threat", "false_legal")])] == [
        "false_legal"]


def test_a_general_hit_elsewhere_on_the_line_stays() -> None:
    line = [(_flag("threat"), [(0, 3), (6, 8)]), (_flag("false_legal"), [(5, 9)])]
    assert {f["category"] for f in most_specific(line, [("threat", "false_legal")])} == {
        "threat", "false_legal"}


def test_a_general_hit_reaching_beyond_the_specific_words_stays() -> None:
    line = [(_flag("threat"), [(0, 12)]), (_flag("false_legal"), [(5, 9)])]
    assert {f["category"] for f in most_specific(line, [("threat", "false_legal")])} == {
        "threat", "false_legal"}


def test_without_pairs_every_flag_stays() -> None:
    line = [(_flag("threat"), [(6, 8)]), (_flag("false_legal"), [(4, 10)])]
    assert len(most_specific(line, [])) == 2


def test_a_police_arrest_visit_is_the_false_legal_claim_only(rules) -> None:
    cats = categories(agent_line_flags(rules, "我们已经报警了，警察很快就会上门抓你。"))
    assert "false_legal" in cats and "threat" not in cats


def test_a_visit_threat_beside_a_false_legal_claim_is_both(rules) -> None:
    cats = categories(agent_line_flags(rules, "再不还我们就上门找你，还要告你诈骗坐牢。"))
    assert {"false_legal", "threat"} <= cats


def test_a_bad_subsumed_entry_is_reported_with_its_line(tmp_path: Path) -> None:
    pack = tmp_path / "ctx.toml"
    pack.write_text('[pack]\nname = "x"\n\n[context]\nsubsumed = ["threat < nonsense"]\n',
                    encoding="utf-8")
    problems = check_pack(pack)
    assert len(problems) == 1 and ":5:" in problems[0] and "GENERAL < SPECIFIC" in problems[0]


def test_rules_explain_says_when_a_match_is_raised_as_the_specific_category() -> None:
    from click.testing import CliRunner

    from auditor.cli.main import cli

    r = CliRunner().invoke(cli, ["rules", "explain", "我们已经报警了，警察很快就会上门抓你。"])
    assert r.exit_code == 0, r.output
    assert "MATCH threat.visit" in r.output
    assert "raised as false_legal only" in r.output
    r = CliRunner().invoke(cli, ["rules", "explain", "再不还我们就上门找你，还要告你诈骗坐牢。"])
    assert "MATCH threat.visit" in r.output and "raised as" not in r.output
