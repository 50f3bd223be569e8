"""bench.eval --dir: a directory of varied-format calls evaluated as the dev set; and the dev
set's drawing plan (samples/generator/dev.py) leaves scripts.CALLS and its split alone."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "samples" / "generator"


def _truth(stem: str, utterances: list[dict], flags: list[str], outcome: dict) -> dict:
    return {"file": f"{stem}.wav", "layout": "stereo", "split": "dev", "call_start":
            "2026-11-02T10:00:00+08:00", "utterances": utterances, "expected_flags": flags,
            "expected_steps": {}, "outcome": outcome}


def _write_dev(folder: Path) -> None:
    good = [
        {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "您好，请问是张伟先生本人吗？"},
        {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "对，是我。"},
        {"speaker": "agent", "start": 3.5, "end": 8.0,
         "text": "我是瑞丰消费金融的贷后专员，工号幺零二四七。"
                 "您的贷款欠款一万二千元，已经逾期十八天了。"},
        {"speaker": "customer", "start": 8.5, "end": 10.0, "text": "我明天还一万二。"},
        {"speaker": "agent", "start": 10.5, "end": 12.0, "text": "好的，感谢您的配合，再见。"},
    ]
    abusive = [dict(u) for u in good]
    abusive[2] = {**abusive[2], "text": abusive[2]["text"] + "你就是个老赖。"}
    promise = {"result": "promise_to_pay", "amount": 12000.0, "due": "2026-11-03"}
    for stem, utts, flags in (("compliant_dev1", good, []), ("abuse_dev1", abusive, ["abuse"])):
        (folder / f"{stem}.truth.json").write_text(
            json.dumps(_truth(stem, utts, flags, promise), ensure_ascii=False), "utf-8")


def test_dir_truth_only_reports_dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from bench import eval as bench_eval

    _write_dev(tmp_path)
    monkeypatch.setattr(sys, "argv", ["eval", "--truth-only", "--dir", str(tmp_path),
                                      "--errors"])
    sets = bench_eval._chosen_sets()
    assert [(name, folder, len(t)) for name, folder, t in sets] == [("dev", tmp_path, 2)]
    bench_eval.truth_only()
    out = capsys.readouterr().out
    assert "== dev: from the truth transcripts" in out
    assert "abuse" in out and "recall 1.00 (1/1)" in out
    # the outcome of both calls from their truth transcripts: result, amount and due right
    assert "== dev: outcome from truth transcripts == 6/6 = 1.000" in out
    assert "Real-wording corpus" not in out  # --dir evaluates that directory alone


def test_dir_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import eval as bench_eval

    monkeypatch.setattr(sys, "argv", ["eval", "--dir", str(tmp_path / "nope")])
    with pytest.raises(SystemExit, match="no such directory"):
        bench_eval._chosen_sets()


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(GENERATOR))
    import dev

    import scripts

    return dev, scripts


def test_dev_stems_are_new_and_keep_the_split(generator) -> None:
    dev, scripts = generator
    calls = dev.dev_calls()
    stems = [s for s, _, _ in calls]
    assert 30 <= len(calls) <= 40 and len(set(stems)) == len(stems)
    assert not set(stems) & set(scripts.STEMS)
    # every dev stem is <group>_dev<k> of a group of scripts.CALLS, with a scenario of that group
    groups = {scripts.group_of(s): set() for s in scripts.STEMS}
    for s, sc, _ in scripts.CALLS:
        groups[scripts.group_of(s)].add(sc)
    for stem, scenario, _ in calls:
        assert stem.rsplit("_", 1)[1].startswith("dev")
        assert scenario in groups[scripts.group_of(stem)]
    # the held-out rule still orders only the stems of scripts.CALLS (dev.py adds none)
    for stem in scripts.STEMS:
        same = sorted((s for s in scripts.STEMS if scripts.group_of(s) == scripts.group_of(stem)),
                      key=lambda s: hashlib.sha256(s.encode()).hexdigest())
        want = "heldout" if same.index(stem) % 2 == 0 else "tuning"
        assert scripts.split_of(stem, scripts.STEMS) == want
    # the plan weighs violations, steps and third parties: most calls carry one
    flagged = [c for c in calls if scripts.build_script(*c)["flags"]
               or scripts.build_script(*c)["missing"]]
    assert len(flagged) >= len(calls) // 2


def test_dev_draws_differ_from_the_samples(generator) -> None:
    dev, scripts = generator
    seeds = {scripts.seed_of(s, "script") for s in scripts.STEMS}
    assert not seeds & {scripts.seed_of(s, "script") for s, _, _ in dev.dev_calls()}


def test_dev_refuses_an_output_inside_the_repository(generator) -> None:
    dev, _ = generator
    with pytest.raises(SystemExit, match="inside the repository"):
        dev.main(["--out", str(ROOT / "samples" / "dev-here")])


def test_second_dev_round_never_repeats_a_draw(generator) -> None:
    dev, scripts = generator
    first = dev.dev_calls()
    second = dev.dev_calls(rnd=2)
    stems1, stems2 = {s for s, _, _ in first}, [s for s, _, _ in second]
    assert 25 <= len(second) <= 40 and len(set(stems2)) == len(stems2)
    assert not set(stems2) & (stems1 | set(scripts.STEMS))
    assert all(s.rsplit("_", 1)[1].startswith("dv2k") for s in stems2)
    # every draw is keyed on the stem: no seed of round 2 is one of round 1 or of the samples
    used = {scripts.seed_of(s, "script") for s in stems1 | set(scripts.STEMS)}
    assert not used & {scripts.seed_of(s, "script") for s in stems2}
    # a group's calls continue its scenario cycle after round 1's entries
    by_group: dict[str, list] = {}
    for s, sc, fx in scripts.CALLS:
        by_group.setdefault(scripts.group_of(s), []).append((sc, fx))
    for stem, scenario, fx in second:
        group = scripts.group_of(stem)
        k = int(stem.rsplit("k", 1)[1]) - 1
        entries = by_group[group]
        assert (scenario, fx) == entries[(dev.PLAN.get(group, 0) + k) % len(entries)]
    # round 1 is drawn exactly as before
    assert [s for s, _, _ in first] == [dev.dev_stem(g, k + 1) for g, n in dev.PLAN.items()
                                        for k in range(n)]


def test_certain_only_leaves_out_uncertain_flags_and_keeps_every_call() -> None:
    from bench.eval import certain_only
    from bench.eval_rules import ALL_CATEGORIES, evaluate

    pairs = [(["threat"], [{"category": "threat", "uncertain": True}]),
             ([], [{"category": "abuse", "uncertain": False}, {"category": "threat"}])]
    kept = certain_only(pairs)
    assert [len(flags) for _, flags in kept] == [0, 2]
    report = evaluate(kept, ALL_CATEGORIES)
    counts = report.per_category
    assert (counts["threat"].misses, counts["abuse"].false_alarms) == (1, 1)


def test_help_prints_the_text_and_runs_nothing(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from bench import eval as bench_eval

    monkeypatch.setattr(sys, "argv", ["eval", "--help"])
    with pytest.raises(SystemExit) as stop:
        bench_eval.main()
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "--dir PATH" in out and "== " not in out  # the text, no set evaluated


def test_unknown_option_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import eval as bench_eval

    monkeypatch.setattr(sys, "argv", ["eval", "--reuse-asr", "--dri", "x"])
    with pytest.raises(SystemExit, match="unknown option '--dri'"):
        bench_eval.main()
    # a value after --dir / --set is not taken for an option
    bench_eval._check_argv(["--dir", "--errors", "--set", "tuning", "--reuse-asr"])


def test_set_chooses_one_half_of_varied(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import eval as bench_eval

    names = {"calls": ["samples/calls"], "tuning": ["samples/varied tuning"],
             "heldout": ["samples/varied heldout"],
             "varied": ["samples/varied tuning", "samples/varied heldout"]}
    for want, expected in names.items():
        monkeypatch.setattr(sys, "argv", ["eval", "--set", want])
        assert [name for name, _, _ in bench_eval._chosen_sets()] == expected
        assert {bench_eval.OUTCOME_GROUP[n] for n in expected}  # each set has its outcome group
    monkeypatch.setattr(sys, "argv", ["eval", "--set", "samples"])
    with pytest.raises(SystemExit, match="none of calls, heldout, tuning, varied"):
        bench_eval._chosen_sets()
