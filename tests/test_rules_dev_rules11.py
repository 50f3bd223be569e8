"""The rules13 DEV set (tests/data/rules_dev11.jsonl, issue 12): 42 violating lines (22
third-party disclosure, 16 impatience, one each of threat, false legal, new loan and abuse) and
28 compliant ones (26 agent hard negatives, 2 customers' abuse), written and committed before
this round's changes, in our own words from kinds of source no earlier set used: court
judgments in privacy suits over collection texts and calls to emergency contacts and friends,
the central bank's consumer-protection case analyses (an employer's HR told of an overdraft),
news on SMS-channel operators mass-texting a debtor's contacts, debtors' accounts of how lenders
message third parties, first-person narratives of front-line service rudeness, a lender's
researcher auditing a collector's recordings, and property-management fee-collection manuals.
Many third-party lines carry a ``context``: only the earlier reply shows the listener is not the
debtor. Never from corpus/real_wording.jsonl; not an example file of the layer.

Measured once before any change (rules + the shipped layer of 51cc855, scored like the corpus):
37/42 found, 3 false alarms on 28 compliant lines. The round fixed as classes what it showed (a
message passed on after a third party answered that names the money in plain words; the debtor
reported away in the third person as the reply of someone else; a condition on the listener's
opinion quoting only its own clause; the stance mocked with 还/倒; a record looked up; the
listener's payday); the set is in-sample now, so its passing is no generalisation figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from tests.helpers import assert_fold_row, jsonl_rows

DATA = Path(__file__).parent / "data" / "rules_dev11.jsonl"
ROWS = jsonl_rows(DATA)


def test_dev11_set_is_balanced_and_sourced() -> None:
    violating = [r for r in ROWS if r["category"] != "compliant"]
    assert len(violating) >= 40 and sum(r["category"] == "compliant" for r in ROWS) >= 25
    for weak in ("third_party_disclosure", "impatience"):
        assert sum(r["category"] == weak for r in violating) >= 15, weak
    assert all(r["source_kind"] and r["speaker"] == "agent" for r in violating)
    assert sum(bool(r.get("context")) for r in violating) >= 15
    assert len({r["id"] for r in ROWS}) == len(ROWS)


def test_dev11_is_no_example_file() -> None:
    from auditor.compliance.similar import example_files

    assert DATA.name not in {p.name for p in example_files()}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_dev11_line_raises_its_category_and_a_compliant_line_none(rules: RuleSet,
                                                                   row: dict[str, Any]) -> None:
    assert_fold_row(rules, row)
