"""`auditor rules list` and `auditor rules check` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.compliance.rules import BUILTIN_DIR


def test_rules_list_shows_active_rules() -> None:
    result = CliRunner().invoke(cli, ["rules", "list"])
    assert result.exit_code == 0, result.output
    assert "abuse.insult" in result.output and "critical" in result.output
    assert "step.greeting" in result.output
    assert "version" in result.output


def test_rules_list_with_extra_pack(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text(
        '[[rule]]\nid = "impatience.extra"\ncategory = "impatience"\nphrases = ["别烦我"]\n',
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "impatience.extra" in result.output


def test_rules_list_with_bad_pack_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('[[rule]]\nid = "x.y"\ncategory = "nope"\n', "utf-8")
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: Rule pack ")
    assert "x.toml line 1" in result.output and "auditor rules check" in result.output


def test_rules_check_ok() -> None:
    result = CliRunner().invoke(cli, ["rules", "check", str(BUILTIN_DIR / "threat.toml")])
    assert result.exit_code == 0
    assert result.output.startswith("OK")


def test_rules_check_lists_problems_by_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('[[rule]]\nid = "abuse.x"\ncategory = "abuse"\nphrase = ["笨"]\n', "utf-8")
    result = CliRunner().invoke(cli, ["rules", "check", str(p)])
    assert result.exit_code == 1
    assert f"{p}:4: unknown key 'phrase'" in result.output
