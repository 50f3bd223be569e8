"""The rules11 DEV set (tests/data/rules_dev10.jsonl, issue 12): 45 violating and 30 compliant
lines (27 agent, 3 customer) written and committed before this round's changes, in our own
words from kinds of source no earlier set used: outsourced-collection vendors' tender documents
and collection firms' conduct codes (their third-party scripts, 禁止项 lists and QA penalty
grades), banks' call-QA vendor pages and a bank's patent on collection sensitive-word QA,
2025 exposés on scripted collection, news on 以贷养贷 and the regulator's 2025 warning on
misleading loan promotion, and consumers' accounts of stonewalling service lines. Never from
corpus/real_wording.jsonl; not an example file of the layer.

Measured once before any change (rules + the shipped layer, scored like the corpus): 43/45
found, 3 false alarms on 30 compliant lines (two amounts holding 二百五, a spouse invited to plan).
The round fixed as classes what it showed (a numeral-only insult inside a spoken number, the
displeasure dare, getting a lending app, the listener's family invited to plan); the set is
in-sample now, so its passing here is no generalisation figure. Since rules13 (its round over) it
is an example file of the layer, as dev9 became one in rules11 (on the rules13 fold, judged by the
rules of 51cc855, the layer fitted with it found the same 37/42 with the same 3 false alarms)."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import EXAMPLES_DIR
from tests.helpers import assert_fold_row, jsonl_rows

DATA = EXAMPLES_DIR / "rules_dev10.jsonl"
ROWS = jsonl_rows(DATA)


def test_dev10_set_is_balanced_and_sourced() -> None:
    violating = [r for r in ROWS if r["category"] != "compliant"]
    assert len(violating) >= 40 and sum(r["category"] == "compliant" for r in ROWS) >= 25
    for weak in ("third_party_disclosure", "impatience", "false_legal", "new_loan"):
        assert sum(r["category"] == weak for r in violating) >= 10, weak
    assert all(r["source_kind"] and r["speaker"] == "agent" for r in violating)
    assert len({r["id"] for r in ROWS}) == len(ROWS)


def test_dev10_is_an_example_file_since_rules13() -> None:
    from auditor.compliance.similar import example_files

    assert DATA.name in {p.name for p in example_files()}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_dev10_line_raises_its_category_and_a_compliant_line_none(rules: RuleSet,
                                                                   row: dict[str, Any]) -> None:
    assert_fold_row(rules, row)
