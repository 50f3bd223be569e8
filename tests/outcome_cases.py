"""Builders shared by the outcome tests: a call from (speaker, text) pairs with made-up times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 20, 10, 15, tzinfo=timezone(timedelta(hours=8)))  # a Friday


def call(*lines: tuple[str, str] | tuple[str, str, dict]) -> list[dict]:
    """Utterances: each line is (speaker, text) or (speaker, text, extra fields); 4 s apart."""
    out, t = [], 0.5
    for line in lines:
        speaker, text = line[0], line[1]
        dur = max(0.4, len(text) * 0.2)
        u = {"speaker": speaker, "start": round(t, 2), "end": round(t + dur, 2), "text": text}
        if len(line) > 2:
            u.update(line[2])
        out.append(u)
        t += dur + 0.6
    return out


OPENING = [
    ("agent", "您好，请问是李娜女士本人吗？"),
    ("customer", "是我，什么事？"),
    ("agent", "我是锦程消费金融委托的贷后专员，您的分期贷款欠款八千八百元，逾期二十天了。"),
]


def test_call_builder_times_increase():
    utts = call(("agent", "您好"), ("customer", "喂", {"loudness_dbfs": -20.0}))
    assert utts[0]["end"] < utts[1]["start"] and utts[1]["loudness_dbfs"] == -20.0
