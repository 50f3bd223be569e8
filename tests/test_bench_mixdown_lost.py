"""bench_mixdown's "lost to attribution" count: same words, truth against attributed speakers."""

from __future__ import annotations

import numpy as np

from bench.bench_mixdown import Call, lost_violations

LINES = [
    ("agent", 0.5, 3.0, "您好，我是信和金融的客服，请问是张伟先生本人吗？"),
    ("customer", 3.4, 4.0, "是我。"),
    ("agent", 4.5, 8.0, "你就是个老赖，真不要脸。"),
    ("customer", 8.5, 9.5, "你怎么骂人？"),
]


def _call() -> Call:
    truth = [{"speaker": s, "start": a, "end": b, "text": t} for s, a, b, t in LINES]
    return Call("c", "mix", "tuning", np.zeros(16000, dtype=np.float32), truth)


def _pred(call: Call, speaker_of_insult: str) -> list[dict]:
    out = []
    for u in call.truth:
        sp = speaker_of_insult if u["start"] == 4.5 else u["speaker"]
        out.append(dict(u, speaker=sp, channel=0))
    return out


def test_a_violation_kept_when_the_agent_line_stays_the_agents(rules) -> None:
    call = _call()
    v = lost_violations(call, _pred(call, "agent"), rules)
    assert v["expected"] >= 1 and v["lost"] == [] and v["certain"] == v["expected"]


def test_a_violation_lost_when_the_line_goes_to_the_customer(rules) -> None:
    call = _call()
    v = lost_violations(call, _pred(call, "customer"), rules)
    assert "abuse" in v["lost"]


def test_a_violation_on_an_unsettled_line_counts_as_raised_uncertain(rules) -> None:
    call = _call()
    v = lost_violations(call, _pred(call, "unknown"), rules)
    assert v["lost"] == [] and v["uncertain"] >= 1
