"""The rules4a DEV sets (issue 12): threats, false legal claims and third-party disclosure worded
as public sources report them, written for this test in our own words from sources read in this
session (undercover news reports from collection firms, police notices and judgments on soft
violence, consumer-rights articles on forged court documents and 法催, the card-business rules
and collection guideline, published compliant scripts; see docs/rule-sources.md). None comes
from corpus/real_wording.jsonl. Each violating line must raise its category; each compliant line
(reassurance, lawful hedged notices, visit procedure, customers' own words, kinship words, plain
debt statements) must raise no lexical category.

packs/examples/rules_dev_rules4a.jsonl was measured on the packs before any change (the honest
unseen figure) and then used to find classes of failure; packs/examples/rules_dev2_rules4a.jsonl
was written after that round, measured before the second round, and used the same way;
rules_dev3 (rhetorical questions, object-first and 把 forms) likewise before the third. Lines
the rules still miss are listed in KNOWN_MISSES (strict xfail): they are reported, not hidden."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet
from auditor.compliance.similar import EXAMPLES_DIR
from auditor.core.vocab import LEXICAL_CATEGORIES
from tests.helpers import jsonl_rows, known_miss_param

DATA = EXAMPLES_DIR  # the dev sets are example files of the example layer
LEXICAL = set(LEXICAL_CATEGORIES)
# dev4a2-l009 (a forged death notice: flagged as threat, not as a false legal document) and
# dev4a2-l012 (reporting a civil servant to the discipline body: flagged as threat and third
# party, the false-consequence reading is not recognised) are labelled false_legal.
KNOWN_MISSES: set[str] = {"dev4a2-l009", "dev4a2-l012"}


ROWS = [row for name in ("rules_dev_rules4a.jsonl", "rules_dev2_rules4a.jsonl",
                         "rules_dev3_rules4a.jsonl") for row in jsonl_rows(DATA / name)]
VIOLATIONS = [known_miss_param(r, KNOWN_MISSES) for r in ROWS if r["category"] != "compliant"]
COMPLIANT = [known_miss_param(r, KNOWN_MISSES) for r in ROWS if r["category"] == "compliant"]



def raised(rules: RuleSet, row: dict[str, Any]) -> set[str]:
    """Lexical categories raised on the row's last utterance, after its context turns."""
    utts: list[dict[str, Any]] = []
    for k, turn in enumerate(row.get("context", [])):
        utts.append({"speaker": turn["speaker"], "text": turn["text"], "start": float(k),
                     "end": k + 0.9})
    last = float(len(utts))
    utts.append({"speaker": row["speaker"], "text": row["text"], "start": last, "end": last + 0.9})
    flags, _ = audit_utterances(utts, rules)
    return {f["category"] for f in flags
            if not f["rule"].startswith("steps.") and f["start"] >= last} & LEXICAL


def test_dev_sets_are_balanced() -> None:
    cats = [r["category"] for r in ROWS]
    assert len(ROWS) >= 120
    assert sum(c != "compliant" for c in cats) >= 60 and cats.count("compliant") >= 60
    assert len({r["id"] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", VIOLATIONS)
def test_violation_is_flagged(rules: RuleSet, row: dict[str, Any]) -> None:
    assert row["category"] in raised(rules, row)


@pytest.mark.parametrize("row", COMPLIANT)
def test_compliant_line_is_not_flagged(rules: RuleSet, row: dict[str, Any]) -> None:
    assert raised(rules, row) == set()
