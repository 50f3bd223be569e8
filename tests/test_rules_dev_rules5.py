"""The rules5 DEV set (issue 12, matcher round): lines written for this round in our own words,
one class of matcher mechanism each (A-not-A questions inside a push or threat, a nominal quote
marker followed by the agent's own words, 把 forms, questions without 吗, an inserted word or a
dropped 跟你; and on the compliant side refusals and warnings, polite A-not-A questions, quotes
of the customer, neutral 把 acts). It was measured once on the finished engine before any change
made because of it; the lines it missed then are KNOWN (strict xfail) unless a later change fixed
them, which is noted here. No line comes from corpus/real_wording.jsonl."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import EXAMPLES_DIR
from tests.helpers import jsonl_rows, known_miss_param, lexical_raised

DATA = EXAMPLES_DIR / "rules_dev_rules5.jsonl"
# Measured before any change: 14/15 violating found, 13/15 compliant clean.
# dev5-v01: 凑一点 is no new-credit act in the packs (vocabulary, not the matcher).
# dev5-c13: 把身份证后四位说一下 (asking for the ID's last digits) raises threat.classes through
# 身份证 + 说 (an exposure reading of a verification request; pack vocabulary).
# dev5-c04 (公司禁止…上门骚扰您的家人) was a false threat; fixed by threat rules opting into
# unless = ["refusal"], now an ordinary test.
# dev5-v01 is raised since rules8 by the example layer (uncertain), whose examples include this
# very line (packs/examples/rules_dev_rules5.jsonl): memory, not a rule fix.
KNOWN: set[str] = {"dev5-c13"}
ROWS = jsonl_rows(DATA)
VIOLATIONS = [known_miss_param(r, KNOWN) for r in ROWS if r["category"] != "compliant"]
COMPLIANT = [known_miss_param(r, KNOWN) for r in ROWS if r["category"] == "compliant"]





def test_dev5_is_balanced() -> None:
    assert sum(r["category"] == "compliant" for r in ROWS) >= 15
    assert sum(r["category"] != "compliant" for r in ROWS) >= 15


@pytest.mark.parametrize("row", VIOLATIONS)
def test_dev5_violation_is_flagged(rules: RuleSet, row: dict[str, Any]) -> None:
    assert row["category"] in lexical_raised(rules, row["text"])


@pytest.mark.parametrize("row", COMPLIANT)
def test_dev5_compliant_line_is_not_flagged(rules: RuleSet, row: dict[str, Any]) -> None:
    assert lexical_raised(rules, row["text"]) == set()
