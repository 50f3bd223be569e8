"""Rule-pack validation: problems reported by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.compliance.rulepack import RulePackError, check_pack, load_pack
from auditor.compliance.rules import BUILTIN_DIR, load_rules


def write(tmp_path: Path, text: str, name: str = "pack.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_builtin_packs_are_valid() -> None:
    packs = sorted(BUILTIN_DIR.glob("*.toml"))
    assert len(packs) >= 8
    for p in packs:
        assert check_pack(p) == [], p


def test_builtin_packs_cover_every_rule_category() -> None:
    from auditor.core.vocab import RULE_CATEGORIES

    rules = load_rules()
    covered = {r.category for r in rules.rules} | {s.flag for s in rules.steps.values() if s.flag}
    covered |= {"disclosure_before_verification", "third_party_disclosure"}  # from steps.py
    assert RULE_CATEGORIES <= covered


BAD = """[pack]
name = "bad"

[[rule]]
id = "abuse.extra"
category = "abuze"
severity = "hot"
phrase = ["狗东西"]

[[rule]]
id = "threat.extra"
category = "threat"
speakers = ["customer"]
phrases = ["上门", "上门"]
patterns = ["(unclosed"]

[[rule]]
id = "voice.fast"
category = "speech_rate_fast"
phrases = ["快"]
"""


def test_problems_are_reported_by_line(tmp_path: Path) -> None:
    p = write(tmp_path, BAD)
    problems = check_pack(p)
    by_line = {int(x.split(":")[1]): x for x in problems}
    assert all(x.startswith(f"{p}:") for x in problems)
    assert "unknown category 'abuze'" in by_line[6] and "did you mean 'abuse'" in by_line[6]
    assert "severity 'hot'" in by_line[7]
    assert "unknown key 'phrase'" in by_line[8] and "'phrases'" in by_line[8]
    assert "listed twice" in by_line[14]
    assert "customer's words cannot raise" in by_line[13]
    assert "not a valid regular expression" in by_line[15]
    assert "voice metrics" in by_line[19]


def test_toml_syntax_error_has_its_line(tmp_path: Path) -> None:
    p = write(tmp_path, '[[rule]]\nid = "a.b"\ncategory = \nphrases = ["x"]\n')
    (problem,) = check_pack(p)
    assert problem.startswith(f"{p}:3:") and "TOML syntax error" in problem


def test_duplicate_ids_and_missing_fields(tmp_path: Path) -> None:
    p = write(tmp_path, '[[rule]]\nid = "abuse.a"\ncategory = "abuse"\nphrases = ["x"]\n\n'
                        '[[rule]]\nid = "abuse.a"\ncategory = "abuse"\n')
    problems = check_pack(p)
    assert any(":7:" in x and "used twice" in x and "line 2" in x for x in problems)
    assert any(":6:" in x and "no 'phrases' or 'patterns'" in x for x in problems)


def test_bad_step_is_reported(tmp_path: Path) -> None:
    p = write(tmp_path, '[[step]]\nid = "greting"\nflag = "missing_hello"\nphrases = ["您好"]\n')
    problems = check_pack(p)
    assert any(":2:" in x and "step id 'greting'" in x for x in problems)
    assert any(":3:" in x and "flag 'missing_hello'" in x for x in problems)


def test_empty_pack_is_reported(tmp_path: Path) -> None:
    p = write(tmp_path, '[pack]\nname = "empty"\n')
    assert any("defines no" in x for x in check_pack(p))


def test_missing_file_is_reported(tmp_path: Path) -> None:
    (problem,) = check_pack(tmp_path / "nope.toml")
    assert "cannot read" in problem


def test_load_pack_raises_one_sentence(tmp_path: Path) -> None:
    p = write(tmp_path, BAD)
    with pytest.raises(RulePackError) as err:
        load_pack(p)
    msg = str(err.value)
    assert str(p) in msg and "line 4" in msg and "more problems" in msg and "\n" not in msg


def test_load_rules_rejects_bad_extra_pack(tmp_path: Path) -> None:
    write(tmp_path, BAD)
    with pytest.raises(RulePackError):
        load_rules(extra_dirs=[tmp_path])
    with pytest.raises(RulePackError, match="does not exist"):
        load_rules(extra_dirs=[tmp_path / "missing"])


def test_valid_extra_pack_loads(tmp_path: Path) -> None:
    p = write(tmp_path, '[[rule]]\nid = "abuse.extra"\ncategory = "abuse"\nphrases = ["狗腿子"]\n')
    assert check_pack(p) == []
    rules = load_rules(extra_dirs=[p])
    assert any(r.id == "abuse.extra" for r in rules.rules)
