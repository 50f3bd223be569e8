"""The rules9 DEV set (packs/examples/rules_dev8.jsonl, issue 12): 50 violating and 24
compliant agent lines written before this round's rule changes, in our own words from the kinds
of source each
line names (first-person accounts and news features quoting collectors' recorded calls, news and
legal-advice articles on soft-violent collection texts, anti-fraud articles on collectors posing
as courts and police, complaint posts by relatives, neighbours and roommates who were called,
dialect profanity glossaries, service banned-phrase lists, published compliant scripts). Never
from corpus/real_wording.jsonl. Not an example file of the layer in its own round; since rules10
it is one (its lines are memory for the shipped layer now: the honest figure is the one below).

Measured once before the changes (``python -m bench.eval_rules --cv-history``, the rules of
deeabc1): rules alone 41/50 found, no false alarm; with the layer fitted on every other group
the same. Its misses were then fixed as classes (a third person named rather than pronounced, a
kin title as a vocative, contempt frames and vices in dialect and event form, consequences as a
rhetorical question, an adverbial inside 别…问我, a family elder's role). Lines still missed are
KNOWN (strict xfail)."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import EXAMPLES_DIR
from tests.helpers import assert_dev_row, jsonl_rows, known_miss_param

DATA = EXAMPLES_DIR / "rules_dev8.jsonl"
KNOWN: set[str] = set()
ROWS = jsonl_rows(DATA)


def test_dev8_set_is_balanced_and_sourced() -> None:
    violating = [r for r in ROWS if r["category"] != "compliant"]
    assert len(violating) >= 45
    assert sum(r["category"] == "compliant" for r in ROWS) >= 20
    for weak in ("abuse", "threat", "third_party_disclosure", "impatience", "false_legal"):
        assert sum(r["category"] == weak for r in violating) >= 8, weak
    assert all(r["source_kind"] and r["speaker"] == "agent" for r in ROWS)
    assert len({r["id"] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", [known_miss_param(r, KNOWN) for r in ROWS])
def test_dev8_line_raises_its_category_and_a_compliant_line_none(rules: RuleSet,
                                                                  row: dict[str, Any]) -> None:
    assert_dev_row(rules, row)
