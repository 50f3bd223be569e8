"""The rules10 DEV set (packs/examples/rules_dev9.jsonl, issue 12): 55 violating and 30 compliant
agent lines written before this round's changes, in our own words from kinds of source no
earlier set used (court judgments and lawyers' write-ups quoting collectors' calls, lawyer Q&A
sites where debtors ask whether a collector's claim is legal, workplace and HR guides on calls to
employers, landlords and teachers, call-centre and e-commerce etiquette manuals with their
forbidden replies, dialect forums, collection-agency training material). Never from
corpus/real_wording.jsonl. Not an example file of the layer in its own round; since rules11 it
is one (its round is over; on the rules11 fold, dev10 judged by the rules of 24d634a, the layer
fitted with it found 44/45 against the shipped layer's 43/45, the same 3 false alarms), so its
lines are memory for the shipped layer now: the honest figure is the one below.

Measured once before the changes (the rules of 3141330, ``python -m bench.eval_rules
--cv-history``): rules alone 42/55 found with 2 false alarms on 30 compliant lines; with the
shipped layer of 3141330 (gate pair) 44/55, the same 2 false alarms. The round then chose each
category's gate and threshold on the CV and the honest folds, and fixed as classes the rules'
misses and false
alarms of the kinds this set showed (the people of the debtor's home and school told of the
debt, the etiquette manuals' forbidden replies, a contact aimed at the debtor in person, a
verb-only member read as verb + object after 把). Lines still missed are KNOWN (strict xfail):
a veiled accident wish (dev9-v16) and a dialect insult (是不是虎) the layer scores between 0.5 and
abuse's own threshold 0.6 (dev9-v05). rules11: a lender's app named by its menu (dev9-v54) is now
raised by the layer (uncertain), its gate corroborated by new_loan.app_r11's terms (the money
arriving, then 转给我们)."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import EXAMPLES_DIR
from tests.helpers import assert_dev_row, jsonl_rows, known_miss_param

DATA = EXAMPLES_DIR / "rules_dev9.jsonl"
# dev9-v05 and dev9-v16 were known misses until rules11; the layer raises them now because they
# are its examples (memory, not generalisation)
KNOWN: set[str] = set()
ROWS = jsonl_rows(DATA)


def test_dev9_set_is_balanced_and_sourced() -> None:
    violating = [r for r in ROWS if r["category"] != "compliant"]
    assert len(violating) >= 50
    assert sum(r["category"] == "compliant" for r in ROWS) >= 25
    for weak in ("abuse", "threat", "third_party_disclosure", "impatience", "false_legal"):
        assert sum(r["category"] == weak for r in violating) >= 8, weak
    assert all(r["source_kind"] and r["speaker"] == "agent" for r in ROWS)
    assert len({r["id"] for r in ROWS}) == len(ROWS)


def test_dev9_is_an_example_file_since_rules11() -> None:
    from auditor.compliance.similar import example_files

    assert DATA.name in {p.name for p in example_files()}


@pytest.mark.parametrize("row", [known_miss_param(r, KNOWN) for r in ROWS])
def test_dev9_line_raises_its_category_and_a_compliant_line_none(rules: RuleSet,
                                                                  row: dict[str, Any]) -> None:
    assert_dev_row(rules, row)
