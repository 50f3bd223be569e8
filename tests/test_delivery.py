"""Delivery flags: each flag fires on its case, and not on the controls."""

from pathlib import Path

import numpy as np
import pytest

from auditor.core.scorecard import Measures
from auditor.voice.delivery import delivery_flags, is_backchannel, load_thresholds
from auditor.voice.metrics import measure

CFG = load_thresholds()
SR = 16000


def utt(speaker: str, start: float, end: float, text: str = "您好请问是本人吗", *,
        channel: int = 0, rate: float | None = 300.0, loud: float | None = -20.0) -> dict:
    """An utterance with its measures in the same dict (speaking time = span); `flags_for`
    hands the measures to delivery_flags apart, as measure() returns them."""
    return {"speaker": speaker, "start": start, "end": end, "text": text, "channel": channel,
            "speaking_s": end - start, "rate_cpm": rate, "loudness_dbfs": loud}


def categories(flags: list[dict]) -> list[str]:
    return [f["category"] for f in flags]


def measures_of(utts: list[dict]) -> list[Measures] | None:
    """The measures of test utterances that carry them (None: measured without audio)."""
    if not utts or any("speaking_s" not in u for u in utts):
        return None
    return [Measures(u["speaking_s"], u["rate_cpm"], u["loudness_dbfs"], None) for u in utts]


def flags_for(utts: list[dict], layout: str = "stereo", metrics: dict | None = None) -> list:
    return delivery_flags(metrics or {}, utts, layout, CFG, measures_of(utts))


def test_thresholds_file_holds_the_documented_defaults() -> None:
    assert CFG["speech_rate_fast"]["max_cpm"] == 360
    assert CFG["speech_rate_fast"]["min_stretch_s"] == 8.0
    assert CFG["shouting"]["above_median_db"] == 8.0
    assert CFG["long_silence"]["max_s"] == 10.0
    assert CFG["interruption"]["max_overlap_s"] == 1.5
    assert CFG["monotone"]["severity"] == "info"


def test_partial_thresholds_file_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "delivery.toml"
    path.write_text("[long_silence]\nmax_s = 5.0\n", encoding="utf-8")
    cfg = load_thresholds(path)
    assert cfg["long_silence"]["max_s"] == 5.0
    assert cfg["shouting"]["above_median_db"] == 8.0


# speech_rate_fast


def test_fast_agent_speech_over_a_stretch_flags_once() -> None:
    utts = [utt("agent", 0, 3, rate=450), utt("customer", 3.5, 4, rate=500),
            utt("agent", 5, 8, rate=480), utt("agent", 9, 12, rate=460),
            utt("agent", 13, 16, rate=300)]
    flags = [f for f in flags_for(utts) if f["category"] == "speech_rate_fast"]
    assert len(flags) == 1
    assert (flags[0]["start"], flags[0]["end"]) == (0, 12)  # trimmed of the normal last line
    assert flags[0]["speaker"] == "agent" and flags[0]["utterances"] == 3
    assert flags[0]["value"] > CFG["speech_rate_fast"]["max_cpm"] and flags[0]["evidence"]
    assert flags[0]["stretch_rate_cpm"] == pytest.approx((450 + 480 + 460) / 3, abs=0.1)


def test_fast_speech_shorter_than_the_stretch_does_not_flag() -> None:
    assert flags_for([utt("agent", 0, 7, rate=450)]) == []  # 7 s < min_stretch_s
    assert categories(flags_for([utt("agent", 0, 9, rate=450)])) == ["speech_rate_fast"]


def test_a_short_brisk_line_alone_does_not_make_a_stretch_fast() -> None:
    utts = [utt("agent", 0, 3, rate=300), utt("agent", 4, 5.2, "好的明白了", rate=500),
            utt("agent", 6, 9, rate=300), utt("agent", 10, 13, rate=300)]
    assert "speech_rate_fast" not in categories(flags_for(utts))  # pooled 330 cpm


def test_rate_is_pooled_over_speaking_time_not_averaged_per_line() -> None:
    # 6 s at 300 and 3 s at 480: the mean of the rates is 390, the pooled rate 360 (not above)
    utts = [utt("agent", 0, 6, rate=300), utt("agent", 7, 10, rate=480)]
    assert flags_for(utts) == []


def test_two_fast_stretches_apart_flag_twice() -> None:
    fast = [utt("agent", i * 4, i * 4 + 3, rate=450) for i in range(3)]
    slow = [utt("agent", 12 + i * 4, 12 + i * 4 + 3, rate=280) for i in range(4)]
    later = [utt("agent", 28 + i * 4, 28 + i * 4 + 3, rate=450) for i in range(3)]
    flags = flags_for(fast + slow + later)
    assert categories(flags) == ["speech_rate_fast", "speech_rate_fast"]
    assert flags[0]["end"] <= 11 and flags[1]["start"] >= 28


def test_fast_customer_or_unknown_never_flags() -> None:
    for speaker in ("customer", "unknown"):
        utts = [utt(speaker, i * 4, i * 4 + 3, rate=600) for i in range(4)]
        assert flags_for(utts, "mono") == []


def test_rate_computed_from_text_when_not_annotated() -> None:
    fast = {"speaker": "agent", "start": 0.0, "end": 9.0, "text": "您" * 75, "channel": 0}
    assert categories(flags_for([fast])) == ["speech_rate_fast"]  # 500 cpm


# shouting


def test_one_loud_agent_utterance_is_shouting() -> None:
    utts = [utt("agent", i * 3, i * 3 + 2, loud=-25.0) for i in range(5)]
    utts[3]["loudness_dbfs"] = -16.5  # +8.5 dB over the median
    flags = flags_for(utts)
    assert categories(flags) == ["shouting"]
    assert flags[0]["start"] == 9 and flags[0]["severity"] == "major"
    assert flags[0]["value"] == pytest.approx(8.5)


def test_loud_but_within_limit_and_loud_customer_do_not_flag() -> None:
    utts = [utt("agent", i * 3, i * 3 + 2, loud=-25.0) for i in range(5)]
    utts[3]["loudness_dbfs"] = -18.0  # +7 dB
    utts.append(utt("customer", 20, 22, loud=-5.0))
    assert flags_for(utts) == []


def test_uniformly_loud_agent_is_not_shouting() -> None:
    utts = [utt("agent", i * 3, i * 3 + 2, loud=-6.0) for i in range(5)]  # hot microphone
    assert flags_for(utts) == []


def test_too_few_agent_utterances_for_a_median() -> None:
    assert flags_for([utt("agent", 0, 2, loud=-30.0), utt("agent", 3, 5, loud=-10.0)]) == []


# long_silence


def test_dead_air_between_turns_flags_with_no_speaker() -> None:
    utts = [utt("agent", 0, 3), utt("customer", 4, 6, channel=1), utt("agent", 18.5, 20)]
    flags = flags_for(utts)
    assert categories(flags) == ["long_silence"]
    assert flags[0]["speaker"] is None and (flags[0]["start"], flags[0]["end"]) == (6, 18.5)


def test_ring_and_hang_up_are_not_dead_air() -> None:
    utts = [utt("agent", 30, 33), utt("customer", 34, 36, channel=1), utt("agent", 37, 40)]
    assert flags_for(utts) == []  # 30 s before the first utterance; whatever follows the last


def test_silence_just_under_the_limit_does_not_flag() -> None:
    assert flags_for([utt("agent", 0, 3), utt("agent", 12.9, 15)]) == []


def test_long_silence_in_an_unattributed_mono_call() -> None:
    utts = [utt("unknown", 0, 3), utt("unknown", 20, 22)]
    assert categories(flags_for(utts, "mono")) == ["long_silence"]


def test_long_silence_uses_the_measured_silences_when_given() -> None:
    utts = [utt("agent", 0, 3), utt("agent", 20, 22)]
    metrics = {"silences": [{"start": 3.0, "end": 9.0, "s": 6.0}]}  # speech found in the gap
    assert flags_for(utts, metrics=metrics) == []


# interruption


def test_agent_talking_over_the_customer_flags() -> None:
    utts = [utt("customer", 0, 5, "我上个月已经还过一部分了", channel=1),
            utt("agent", 3, 8, "你别说了先听我讲")]
    flags = flags_for(utts)
    assert categories(flags) == ["interruption"]
    assert (flags[0]["start"], flags[0]["end"]) == (3, 5)
    assert flags[0]["evidence"] == "你别说了先听我讲"
    assert flags[0]["customer_text"] == "我上个月已经还过一部分了"


def test_interruption_controls() -> None:
    customer = utt("customer", 0, 5, channel=1)
    short = utt("agent", 4, 8)  # 1.0 s overlap: turn-taking
    backchannel = utt("agent", 2, 4.5, "嗯嗯，对对，好的")
    customer_cuts_in = [utt("agent", 0, 5), utt("customer", 2, 7, channel=1)]
    assert flags_for([customer, short]) == []
    assert flags_for([customer, backchannel]) == []
    assert flags_for(customer_cuts_in) == []


def test_no_interruption_on_mono_calls() -> None:
    utts = [utt("customer", 0, 5), utt("agent", 2, 8)]
    assert flags_for(utts, "mono") == []


def test_is_backchannel() -> None:
    tokens = CFG["interruption"]["backchannels"]
    for text in ("嗯", "对对对", "好的呀。", "是的是的", "嗯，明白了", ""):
        assert is_backchannel(text, tokens), text
    for text in ("好的您说", "对你要还钱", "嗯我知道你没钱"):
        assert not is_backchannel(text, tokens), text


# monotone


def test_flat_agent_pitch_is_an_info_note() -> None:
    utts = [utt("agent", 0, 15), utt("agent", 16, 31)]
    metrics = {"agent": {"pitch_std_semitones": 0.6, "pitch_median_hz": 210.0,
                         "speaking_s": 30.0}}
    flags = flags_for(utts, metrics=metrics)
    assert categories(flags) == ["monotone"] and flags[0]["severity"] == "info"
    assert (flags[0]["start"], flags[0]["end"]) == (0, 31)


def test_varied_or_brief_agent_is_not_monotone() -> None:
    utts = [utt("agent", 0, 15)]
    varied = {"agent": {"pitch_std_semitones": 2.5, "speaking_s": 30.0}}
    brief = {"agent": {"pitch_std_semitones": 0.5, "speaking_s": 8.0}}
    unknown = {"agent": {"pitch_std_semitones": None, "speaking_s": 0.0}}
    for metrics in (varied, brief, unknown):
        assert flags_for(utts, metrics=metrics) == []


# end to end on audio


def test_measured_shout_and_every_flag_has_the_contract_fields() -> None:
    t = np.arange(2 * SR) / SR
    line = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    audio = np.zeros((2, 16 * SR), dtype=np.float32)
    utts = []
    for i, gain in enumerate([0.05, 0.05, 0.05, 0.15, 0.05]):  # the fourth is +9.5 dB
        audio[0, (i * 3 + 1) * SR : (i * 3 + 3) * SR] = gain * line
        utts.append({"speaker": "agent", "start": i * 3 + 1.0, "end": i * 3 + 3.0,
                     "text": "您好" * 4, "channel": 0})
    metrics, measures = measure(audio, SR, utts, "stereo")
    flags = delivery_flags(metrics, utts, "stereo", CFG, measures)
    assert categories(flags) == ["shouting"] and flags[0]["start"] == 10.0
    for f in flags:
        assert {"category", "rule", "severity", "speaker", "start", "end", "evidence",
                "matched"} <= f.keys()


def test_nothing_at_all() -> None:
    assert delivery_flags({}, [], "stereo", CFG) == []
    assert delivery_flags(measure(np.zeros((1, SR), np.float32), SR, [], "mono").metrics, [],
                          "mono", CFG) == []


def test_a_shouted_line_left_without_a_speaker_is_raised_as_uncertain():
    from auditor.core.scorecard import Measures
    from auditor.voice.delivery import load_thresholds, shouting_flags

    lines = [{"speaker": "agent", "start": float(i * 3), "end": float(i * 3 + 2), "text": "好的"}
             for i in range(4)]
    lines.append({"speaker": "unknown", "start": 12.0, "end": 14.0, "text": "你还不还",
                  "agent_posterior": 0.6})
    lines.append({"speaker": "unknown", "start": 15.0, "end": 17.0, "text": "我没钱",
                  "agent_posterior": 0.1})
    levels = [-30.0, -30.5, -29.5, -30.0, -18.0, -17.0]
    measures = [Measures(speaking_s=2.0, rate_cpm=200.0, loudness_dbfs=v, pitch_hz=200.0)
                for v in levels]
    flags = shouting_flags(lines, load_thresholds()["shouting"], measures)
    assert [(f["start"], f.get("uncertain")) for f in flags] == [(12.0, True)]
    assert flags[0]["speaker"] == "agent"
