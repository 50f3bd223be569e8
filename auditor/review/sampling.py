"""Spot checks: a random sample of the calls that raised no flag, for QA to listen to.

Why: the review queue holds flagged calls only, so a violation the auditor missed is never
heard and recall is unknown. A small uniform sample of the unflagged calls, listened to whole,
estimates how many violations slip through (``auditor.report.recall``).

The sample is stratified by agent and day with proportional allocation: every (agent, day)
stratum gets its share of ``rate`` x its size, the fractions are rounded by the largest
remainder (ties broken at random), and each stratum's calls are drawn at random. Every call
then has about the same chance of being drawn (up to that rounding), so the sample stands for
all unflagged calls without weights, while every agent and day is covered as far as the
sample's size allows. A seed
makes the draw repeatable.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.review.verdicts import ReviewError
from auditor.store import queries
from auditor.store.db import Store

NO_AGENT = queries.UNKNOWN_AGENT


def allocate(sizes: Mapping[str, int], rate: float, rng: random.Random) -> dict[str, int]:
    """How many calls to draw from each stratum: ``ceil(rate * total)`` in all, proportional.

    Largest-remainder rounding; ties (and the strata that get a remainder call) are decided by
    ``rng``. At least one call is drawn when there is any call.
    """
    total = sum(sizes.values())
    if total == 0:
        return {k: 0 for k in sizes}
    n = min(total, max(1, math.ceil(rate * total - 1e-9)))
    exact = {k: n * v / total for k, v in sizes.items()}
    out = {k: math.floor(x) for k, x in exact.items()}
    left = n - sum(out.values())
    order = sorted(sizes, key=lambda k: (-(exact[k] - out[k]), rng.random()))
    for k in order[:left]:
        out[k] += 1
    return out


def draw(
    calls: Sequence[Mapping[str, Any]], rate: float, seed: int | None = None
) -> list[dict[str, Any]]:
    """The sampled calls: ``{"call_id", "stratum"}`` for each, stratified by agent and day.

    ``calls`` have ``call_id``, ``agent_id`` and ``day`` (``queries.unflagged_calls``).
    """
    if not 0 < rate <= 1:
        raise ReviewError(f"the sampling rate is a share between 0 and 1, not {rate}")
    rng = random.Random(seed)
    strata: dict[str, list[str]] = defaultdict(list)
    for c in calls:
        strata[f"{c.get('agent_id') or NO_AGENT}|{c.get('day') or '?'}"].append(c["call_id"])
    counts = allocate({k: len(v) for k, v in strata.items()}, rate, rng)
    picked = []
    for key in sorted(strata):
        for call_id in rng.sample(sorted(strata[key]), counts[key]):
            picked.append({"call_id": call_id, "stratum": key})
    return picked


def sample(
    store: Store, rate: float, seed: int | None = None, since: str | None = None
) -> dict[str, Any]:
    """Draw a spot-check sample from the unflagged calls not sampled yet and queue it.

    Returns the population size, the calls drawn (with their stratum) and the strata count.
    """
    population = queries.unflagged_calls(store.db, since)
    picked = draw(population, rate, seed)
    added = store.add_spot_checks(
        [{"call_id": p["call_id"], "stratum": p["stratum"], "rate": rate, "seed": seed}
         for p in picked]
    )
    strata = {f"{c.get('agent_id') or NO_AGENT}|{c.get('day') or '?'}" for c in population}
    return {"population": len(population), "strata": len(strata), "sampled": picked,
            "added": added}
