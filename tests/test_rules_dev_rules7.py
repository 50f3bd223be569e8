"""The rules8 DEV set (packs/examples/rules_dev7.jsonl, issue 12): 30 violating and 16
compliant agent lines written before this round's rule changes, in our own words from the kinds
of source each
line names (complaint posts and first-person accounts of relatives and colleagues who were
called, service-industry and hospital banned-phrase lists, etiquette guides, debt-advice
articles, ordinary words carrying an insult's or legal term's characters). Never from
corpus/real_wording.jsonl. Not an example file of the layer in its own round; since rules10 it
is one (its lines are memory for the shipped layer now: the honest figure is the one below).

Measured once before the changes: rules 24/30 found, 2 false alarms (precision 0.92); rules +
layer (no gate) 26/30, 3 false alarms. Its misses were then fixed as classes (third-party
disclosure in plain words, the mocking concession, wasted-time dismissal, the counter-question,
selling one's own things). Lines still missed are KNOWN (strict xfail)."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import EXAMPLES_DIR
from tests.helpers import assert_dev_row, jsonl_rows, known_miss_param

DATA = EXAMPLES_DIR / "rules_dev7.jsonl"
# dev7-v23 (没见过脸皮这么厚的) was read as negated; 没见过这么…的 is an exclamation of degree
# (matching.mask_a_not_a), now found.
KNOWN: set[str] = set()
ROWS = jsonl_rows(DATA)


def test_dev7_set_is_balanced_and_sourced() -> None:
    assert sum(r["category"] != "compliant" for r in ROWS) >= 30
    assert sum(r["category"] == "compliant" for r in ROWS) >= 15
    assert all(r["source_kind"] and r["speaker"] == "agent" for r in ROWS)
    assert len({r["id"] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", [known_miss_param(r, KNOWN) for r in ROWS])
def test_dev7_line_raises_its_category_and_a_compliant_line_none(rules: RuleSet,
                                                                  row: dict[str, Any]) -> None:
    assert_dev_row(rules, row)
