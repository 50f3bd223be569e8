"""The extractor on the 22 sample calls' truth transcripts against their outcome labels.

These calls are evaluation, not tuning material. The figure (result, amount and due right, as a
share of the 66 checks) is printed with ``-s``; the test holds a floor so a regression shows.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor.outcome import extract_outcome

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "calls"
CHECKS = ("result", "amount", "due")
FLOOR = 0.85


def score_truth_calls() -> tuple[int, int, dict[str, dict]]:
    """(right, total, misses by file) over the result/amount/due checks of the truth files."""
    right = total = 0
    misses: dict[str, dict] = {}
    for path in sorted(SAMPLES.glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        o = extract_outcome(truth["utterances"], truth["call_start"])
        p = o["promise"] or {}
        got = {"result": o["result"], "amount": p.get("amount"), "due": p.get("due")}
        for k in CHECKS:
            total += 1
            if got[k] == truth["outcome"][k]:
                right += 1
            else:
                misses.setdefault(path.name, {})[k] = (got[k], truth["outcome"][k])
    return right, total, misses


def test_truth_calls_result_amount_due():
    right, total, misses = score_truth_calls()
    assert total == 66
    print(f"\noutcome on 22 truth transcripts: {right}/{total} = {right / total:.3f}")
    for name, m in misses.items():
        print(f"  {name}: {m}")
    assert right / total >= FLOOR, misses
