"""ASR settings: speech detection, utterance shaping, decoding and guard thresholds.

The defaults live only in ``auditor/config/asr.toml`` (each explained there); `AsrSettings` and
`VadSettings` have none, and `SCHEMA` says which keys exist, their types and ranges. A file passed
to `load_asr_settings` is checked against the same schema and overrides the built-in values key
by key (see ``auditor.core.config``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor.audio.vad import VadSettings
from auditor.core import config
from auditor.core.config import Key

CONFIG_PATH = config.CONFIG_DIR / "asr.toml"

_SECONDS = Key(float, low=0)
_MS = Key(int, low=0)
SCHEMA = {
    "vad": {
        "threshold": Key(float, low=0, high=1),
        "min_silence_ms": _MS,
        "mono_min_silence_ms": _MS,
        "min_speech_ms": _MS,
        "speech_pad_ms": _MS,
    },
    "utterances": {
        "merge_gap_s": _SECONDS,
        "max_utterance_s": Key(float, low=1, high=30),
        "crosstalk_db": Key(float, low=0),
        "context_s": _SECONDS,
    },
    "decode": {
        "language": Key(str),
        "beam_size": Key(int, low=1),
        "lexicon_weight": Key(float, low=0),
        "batch_size": Key(int, low=1),
        "pack_s": Key(float, low=1, high=30),
        "pack_gap_s": _SECONDS,
        "pack_mix_channels": Key(bool),
        "mono_join_pause_s": _SECONDS,
        "number_join_gap_s": _SECONDS,
        "max_tokens_per_s": Key(float, low=1),
        "min_tokens": Key(int, low=1),
        "sparse_min_s": _SECONDS,
        "sparse_chars_per_s": Key(float, low=0),
        "timestamps": Key(bool),
        "initial_prompt": Key(str),
        "digit_prompt": Key(str),
        "digit_redecode_min": Key(int, low=0),
        "digit_redecode_short_min": Key(int, low=0),
        "digit_redecode_logprob": Key(float, high=0),
        "fallback_tries": Key(int, low=0, high=10),
        "fallback_temperature_step": Key(float, low=0.01, high=1),
        "fallback_best_of": Key(int, low=1),
        "fallback_logprob": Key(float, high=0),
        "fallback_compression": Key(float, low=0.1),
        "fallback_no_speech": Key(float, low=0, high=1),
        "fallback_seed": Key(int, low=0),
    },
    "channels": {
        "one_signal_correlation": Key(float, low=0, high=1),
        "one_signal_share": Key(float, low=0, high=1),
    },
    "confidence": {
        "logprob_weight": Key(float, low=0),
        "no_speech_weight": Key(float, low=0),
        "compression_max": Key(float, low=0.1),
        "compression_weight": Key(float, low=0),
        "alignment_weight": Key(float, low=0),
    },
    "digits": {
        "restore_min_numerals": Key(int, low=0),
        "syllables": Key(list),
    },
    "filter": {
        "no_speech_prob": Key(float, low=0, high=1),
        "low_logprob": Key(float, high=0),
        "loop_repeats": Key(int, low=2),
        "hallucinations": Key(list),
    },
}


@dataclass(frozen=True)
class ConfidenceSettings:
    """How a line's confidence is made from the decoder's signals (asr.toml [confidence]; the
    formula is in transcribe.piece_confidence) and below which a line counts as low."""

    logprob_weight: float
    no_speech_weight: float
    compression_max: float
    compression_weight: float
    alignment_weight: float


@dataclass(frozen=True)
class AsrSettings:
    """Decoding settings and guard thresholds (the [decode] and [filter] tables of asr.toml)."""

    vad: VadSettings
    language: str
    beam_size: int
    lexicon_weight: float
    batch_size: int
    max_tokens_per_s: float
    min_tokens: int
    sparse_min_s: float
    sparse_chars_per_s: float
    no_speech_prob: float
    low_logprob: float
    loop_repeats: int
    hallucinations: tuple[str, ...]
    pack_s: float
    pack_gap_s: float
    pack_mix_channels: bool
    mono_join_pause_s: float
    number_join_gap_s: float
    timestamps: bool
    initial_prompt: str
    digit_prompt: str
    digit_redecode_min: int
    digit_redecode_short_min: int
    digit_redecode_logprob: float
    fallback_tries: int
    fallback_temperature_step: float
    fallback_best_of: int
    fallback_logprob: float
    fallback_compression: float
    fallback_no_speech: float
    fallback_seed: int
    confidence: ConfidenceSettings
    digit_syllables: tuple[tuple[str, str], ...] = ()
    restore_min_numerals: int = 0
    one_signal_correlation: float = 1.0
    one_signal_share: float = 1.0


def load_asr_settings(path: str | Path | None = None) -> AsrSettings:
    """The built-in ASR settings, with the TOML file at `path` (if given) over them.

    Raises `ConfigError` naming the file and line of a problem.
    """
    data = config.load(CONFIG_PATH, path, SCHEMA, "ASR settings")
    flt = data["filter"]
    digits = data["digits"]
    pairs = tuple(tuple(item.split(":", 1)) for item in digits["syllables"] if ":" in item)
    return AsrSettings(
        vad=VadSettings(**data["vad"], **data["utterances"]),
        hallucinations=tuple(flt.pop("hallucinations")),
        confidence=ConfidenceSettings(**data["confidence"]),
        digit_syllables=pairs,
        restore_min_numerals=digits["restore_min_numerals"],
        **data["channels"],
        **data["decode"],
        **flt,
    )
