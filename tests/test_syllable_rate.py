"""Speech rate from the signal: syllable nuclei, and when they overrule the transcript."""

import numpy as np

from auditor.voice import speech_rate

SR = 16000


def syllables(n: int, rate_hz: float = 4.0) -> np.ndarray:
    """n vowel-like bursts (200 Hz buzz with harmonics) at `rate_hz` syllables a second."""
    t = np.arange(int(SR / rate_hz)) / SR
    burst = sum(np.sin(2 * np.pi * 200 * k * t) / k for k in range(1, 8))
    envelope = np.sin(np.pi * t / t[-1]) ** 2
    one = (0.2 * burst * envelope).astype(np.float32)
    return np.concatenate([one] * n)


def test_each_vowel_burst_is_one_nucleus():
    assert speech_rate.syllable_nuclei(syllables(8), SR) == 8
    assert speech_rate.syllable_nuclei(syllables(12, rate_hz=7.0), SR) == 12


def test_silence_and_too_short_audio_have_no_nuclei():
    assert speech_rate.syllable_nuclei(np.zeros(SR, dtype=np.float32), SR) == 0
    assert speech_rate.syllable_nuclei(np.zeros(100, dtype=np.float32), SR) == 0


def test_the_text_count_stands_unless_the_signal_shows_clearly_more():
    assert speech_rate.spoken_syllables(20, 22) == (20, "text")
    assert speech_rate.spoken_syllables(20, 18) == (20, "text")
    assert speech_rate.spoken_syllables(12, 20) == (20, "audio")  # characters were dropped
    assert speech_rate.spoken_syllables(20, None) == (20, "text")  # no audio


def test_a_low_confidence_line_takes_the_higher_signal_count():
    assert speech_rate.spoken_syllables(18, 20, confidence=0.2) == (20, "audio")
    assert speech_rate.spoken_syllables(18, 20, confidence=0.9) == (18, "text")
    assert speech_rate.spoken_syllables(20, 15, confidence=0.2) == (20, "text")  # never lower
