"""One call from recording to scorecard: decode, find speech, transcribe, attribute, measure,
apply the rules, build the scorecard, score.

`Auditor` holds what is expensive to build (the Whisper model, the rule packs, the thresholds)
and is built once per process; `Auditor.audit(path)` then does each step exactly once per file
and never raises for bad input: a recording that cannot be audited comes back as a scorecard
with `status: failed` and a one-sentence `error`. The analysis returns what it found
(`analysis.Analysis`); the card is built from it (`core.scorecard.Scorecard`) and scored once,
unless the caller (the batch) scores it later with `score=False`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.analysis import Analyser, Analysis
from auditor.audio.channels import as_mono_if_one_signal
from auditor.audio.decode import Audio, AudioError, decode
from auditor.core.hashing import file_sha256
from auditor.core.scorecard import AsrInfo, Scorecard, failed_scorecard
from auditor.speakers.features import VoiceFrames, voice_frames

if TYPE_CHECKING:
    from auditor.score.scoring import ScoringConfig


def speaker_for_channel(channel: int, channels: int, agent_channel: int) -> str:
    """Stereo: one party per channel (agent on `agent_channel`); mono: not known yet."""
    if channels < 2:
        return "unknown"
    return "agent" if channel == agent_channel else "customer"


def speech_audio(audio: Audio, settings) -> Audio:
    """The audio the recogniser hears: on stereo, each party's echo on the other's channel is
    muted (see vad.suppress_crosstalk); mono is left as it is."""
    if audio.channels != 2:
        return audio
    from auditor.audio.vad import suppress_crosstalk

    cleaned = suppress_crosstalk(audio.samples, audio.sample_rate, settings.vad.crosstalk_db)
    return dataclasses.replace(audio, samples=cleaned)


def find_pieces(audio: Audio, settings, mono_frames: VoiceFrames | None = None) -> list:
    """Speech stretches of every channel, shaped into utterance-sized pieces to decode.

    Stereo channels hold one party each, so short pauses are merged into one utterance; a mono
    channel's stretches stay apart (the next may be the other party) and are split where the
    voice changes, if the call's `mono_frames` (speakers.features.voice_frames) are given.
    """
    from auditor.asr.transcribe import Piece
    from auditor.audio.vad import decoding_windows, merge_regions, speech_regions, split_long
    from auditor.speakers.changes import split_at_speaker_changes

    vad = settings.vad
    pieces: list[Piece] = []
    for channel in range(audio.channels):
        samples = audio.samples[channel]
        regions = speech_regions(samples, audio.sample_rate, vad, mono=audio.channels < 2)
        if audio.channels >= 2:
            regions = merge_regions(regions, vad.merge_gap_s, vad.max_utterance_s)
        elif mono_frames is not None and regions:
            regions = split_at_speaker_changes(mono_frames, regions)
        regions = split_long(regions, samples, audio.sample_rate, vad.max_utterance_s)
        windows = decoding_windows(regions, audio.duration_s, vad.context_s)
        pieces.extend(Piece(channel, r, w) for r, w in zip(regions, windows, strict=True))
    return pieces


def pieces_to_utterances(pieces: Sequence, channels: int, agent_channel: int
                         ) -> list[dict[str, Any]]:
    """Utterance dicts (spec shape plus `channel`) for every piece that received text, with the
    recogniser's `confidence` in the line (transcribe.piece_confidence) when it is known."""
    utterances = []
    for piece in pieces:
        text = piece.text.strip()
        if not text:
            continue
        utterance = {
            "speaker": speaker_for_channel(piece.channel, channels, agent_channel),
            "start": round(piece.region[0], 2),
            "end": round(piece.region[1], 2),
            "text": text,
            "channel": piece.channel,
        }
        if channels > 1:  # the channel settles who speaks: P(agent) is 1 or 0
            utterance["agent_posterior"] = 1.0 if utterance["speaker"] == "agent" else 0.0
        if getattr(piece, "confidence", None) is not None:
            utterance["confidence"] = piece.confidence
        if piece.repairs:
            utterance["asr_repairs"] = sorted(set(piece.repairs))
        utterances.append(utterance)
    utterances.sort(key=lambda u: (u["start"], u["channel"]))
    return utterances


@dataclasses.dataclass(frozen=True)
class Heard:
    """What the recogniser made of one call: its utterances (None: no speech found), the
    recogniser's summary for the scorecard, and a mono call's voice features (else None)."""

    utterances: list[dict[str, Any]] | None
    asr: AsrInfo | None
    frames: VoiceFrames | None


class Auditor:
    """Everything needed to audit calls, loaded once: model, rules, thresholds, scoring."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        rules_dirs: Sequence[str | Path] = (),
        agent_channel: int = 0,
        threads: int | None = None,
        load_asr: bool = True,
    ) -> None:
        self.agent_channel = agent_channel
        self.analyser = Analyser(rules_dirs)
        self.rules_version = self.analyser.rules_version
        self.model_name = "none"
        self.model_dir: Path | None = None
        self.threads = threads
        self._transcriber = None
        from auditor.asr.transcribe import load_asr_settings

        self.asr_settings = load_asr_settings()
        if load_asr:
            from auditor.asr.model import model_name, resolve_model_dir

            self.model_dir = resolve_model_dir(model_dir)  # fails fast when it is missing
            self.model_name = model_name(self.model_dir)

    @property
    def transcriber(self):
        """The Whisper model and its decoder, loaded on first use and then kept."""
        if self._transcriber is None:
            if self.model_dir is None:
                raise RuntimeError("this Auditor was built for transcripts only (no speech model)")
            from auditor.asr.model import load_model
            from auditor.asr.transcribe import Transcriber

            model, _ = load_model(self.model_dir, self.threads)
            self._transcriber = Transcriber(model, self.asr_settings)
        return self._transcriber

    @property
    def scoring(self) -> ScoringConfig:
        """The scoring scheme cards are scored with (loaded once, with the rules)."""
        return self.analyser.scoring

    def score(self, card: dict[str, Any]) -> dict[str, Any]:
        """The card scored with this auditor's scheme (a new card; see score.scoring)."""
        from auditor.score.scoring import score_card

        return score_card(card, self.scoring)

    def audit(self, path: str | Path, call_id: str | None = None,
              score: bool = True, call_start: str | None = None) -> dict[str, Any]:
        """Audit one recording; bad input gives a failed scorecard, never an exception.

        `call_id` is the file's sha256 when the caller has it already (the batch hashed the
        file to skip known calls): the file is then not hashed again. With `score` false the
        card is returned unscored (the batch scores once, after enriching it). `call_start`
        (ISO, from the metadata) resolves the outcome's relative dates.

        Only a missing or broken model raises (ModelError): that is no fault of the call, and
        every other call would fail the same way.
        """
        from auditor.asr.model import ModelError

        file = str(path)
        try:
            if call_id is None and Path(path).is_file():
                call_id = file_sha256(path)
            audio = decode(path)
        except AudioError as exc:
            return failed_scorecard(file, str(exc), call_id)
        except OSError as exc:
            return failed_scorecard(file, f"{file} could not be read ({exc.strerror}).", call_id)
        try:
            return self.audit_audio(audio, file, call_id, score=score, call_start=call_start)
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - an input nothing above foresaw fails alone
            return failed_scorecard(
                file, f"{file} could not be audited ({type(exc).__name__}: {exc}); please "
                "report it with the recording.", call_id)

    def audit_audio(self, audio: Audio, file: str, call_id: str | None,
                    score: bool = True, call_start: str | None = None,
                    heard: Heard | None = None) -> dict[str, Any]:
        """Audit decoded audio (the file was decoded once by the caller).

        `heard` is what `hear` returned for this audio, when the caller has it already (the
        benchmarks keep the recogniser's output between runs); otherwise it is computed here.
        """
        file_channels = audio.channels
        audio, check = self.one_signal_as_mono(audio)
        layout = "stereo" if audio.channels >= 2 else "mono"
        known = {
            "duration_s": round(audio.duration_s, 2),
            "channels": file_channels,
            "layout": layout,
            "sample_rate": audio.source_rate,
        }
        if audio.channels >= 2 and self.agent_channel not in (0, 1):
            return failed_scorecard(file, "--agent-channel must be 0 or 1.", call_id, **known)
        if not np.any(np.abs(audio.samples) > 1e-4):
            return failed_scorecard(
                file, f"{file} is silent (no signal at all); check the recording.", call_id,
                **known)
        if heard is None:
            heard = self.hear(audio)
        if heard.utterances is None:
            return failed_scorecard(
                file, f"No speech was found in {file} ({audio.duration_s:.1f} s of silence or "
                "noise); check that the right recording was exported.", call_id, **known)
        analysis = self.analyser.analyse(heard.utterances, audio, layout, frames=heard.frames,
                                         call_start=call_start)
        card = build_card(analysis, file, call_id, asr=heard.asr,
                          rules_version=self.rules_version, **known,
                          extra={"channel_check": check.to_dict()} if check else {})
        return self.score(card) if score else card

    def one_signal_as_mono(self, audio: Audio) -> tuple[Audio, Any]:
        """Two channels carrying one signal are one mono call (audio/channels.py): the audio to
        hear, and the channel check (None for a mono recording)."""
        s = self.asr_settings
        return as_mono_if_one_signal(audio, s.one_signal_correlation, s.one_signal_share)

    def hear(self, audio: Audio) -> Heard:
        """Find the speech of decoded audio and transcribe it once: the utterances (None when
        no speech was found), the recogniser's summary and a mono call's voice features.
        `audio` is heard as given: a caller other than `audit_audio` passes it through
        `one_signal_as_mono` first (the channel check runs once per call)."""
        from auditor.asr.transcribe import coverage

        # A mono call's voice features, computed once: for the splitting and the attribution.
        frames = voice_frames(audio.samples[0], audio.sample_rate) if audio.channels < 2 else None
        speech = speech_audio(audio, self.asr_settings)
        pieces = find_pieces(speech, self.asr_settings, frames)
        if not pieces:
            return Heard(None, None, frames)
        self.transcriber.decode(speech.samples, pieces)
        speech_s, covered = coverage(pieces)
        utterances = pieces_to_utterances(pieces, audio.channels, self.agent_channel)
        asr = AsrInfo(model=self.model_name, language=self.asr_settings.language,
                      speech_s=round(speech_s, 2), coverage=round(covered, 3))
        return Heard(utterances, asr, frames)

    def audit_transcript(self, utterances: list[dict[str, Any]], file: str,
                         layout: str | None = None, score: bool = True,
                         call_start: str | None = None) -> dict[str, Any]:
        """Audit an existing transcript (no audio): rules and text-based measures only."""
        from auditor.asr.transcript import normalise_utterances

        analysis = self.analyser.analyse(normalise_utterances(utterances), None, layout,
                                         call_start=call_start)
        card = build_card(analysis, file, None, layout=layout, rules_version=self.rules_version)
        return self.score(card) if score else card


def build_card(analysis: Analysis, file: str, call_id: str | None, **known: Any
               ) -> dict[str, Any]:
    """The scorecard (unscored) of an analysed call; `known` sets the call's other fields
    (duration_s, channels, layout, sample_rate, asr, rules_version)."""
    card = Scorecard(
        call_id=call_id, file=file, utterances=analysis.card_utterances(),
        metrics=analysis.metrics, steps=analysis.steps, flags=analysis.flags,
        outcome=analysis.outcome, attribution_confidence=analysis.attribution_confidence, **known)
    return card.to_dict()
