"""Turn speech stretches into faithful simplified-Chinese text with faster-whisper.

Each stretch is decoded on its own (no text carried from one to the next, no prompt), in batches
of similar length, with a token budget proportional to its duration. Then guards catch the ways
Whisper base fails on calls (see ../shared/notes/asr-findings.md): a stretch that says "no
speech", stock hallucinations, repetition loops (decoded again with a repetition penalty, then
collapsed) and stretches that came back too short for their length (split at the quietest point
and decoded again, so a dropped sentence is recovered or at least visible in the coverage).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from auditor.asr import digits, hallucination, lexicon
from auditor.asr.settings import AsrSettings, ConfidenceSettings, load_asr_settings
from auditor.audio.vad import Region, quietest_point


@dataclass
class Piece:
    """One stretch of one channel to decode: `region` is reported, `window` is decoded."""

    channel: int
    region: Region
    window: Region
    text: str = ""
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    repairs: list[str] = field(default_factory=list)
    # Filled by the alignment: the log-probability of each word that landed here, and how many
    # characters were heard inside this piece's audio (aligned) or given to it as the nearest
    # piece (guessed). None: the text did not come through the alignment (decoded alone).
    word_logprobs: list[float] | None = None
    aligned_chars: int = 0
    guessed_chars: int = 0
    confidence: float | None = None
    heard_with_previous: bool = False  # decoded in one stretch of real audio with the previous

    @property
    def duration(self) -> float:
        return self.region[1] - self.region[0]


@dataclass
class Pack:
    """Consecutive pieces of one channel decoded together in one Whisper window.

    `spans[i]` is the audio taken for piece i; `offsets[i]` where it starts in the window.
    """

    pieces: list[Piece]
    spans: list[Region]
    offsets: list[float]
    duration: float
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    repairs: list[str] = field(default_factory=list)


def pack_pieces(pieces: list[Piece], pack_s: float, gap_s: float, join: bool = True,
                mix_channels: bool = True, join_pause_s: float = 0.0) -> list[Pack]:
    """Group pieces, in order of time, into windows of at most `pack_s` seconds.

    Pieces of both channels of a stereo call share windows (each piece brings its own
    channel's audio), which halves the number of windows against packing each channel alone
    and lets Whisper hear the conversation. With `join`, two consecutive pieces of the same
    channel whose audio nearly touches are packed with the real audio between them; otherwise
    a silence of `gap_s` separates pieces, so that the alignment gives each character to the
    right piece. On mono, where the next piece may be the other party, two consecutive pieces are
    joined with their real audio only when the pause between their speech is at most
    `join_pause_s`: a pause that short lies inside a run of speech (a phone number read in
    groups, a sentence with a breath), and decoding it whole keeps Whisper from losing or
    inventing the characters at the cut. Without `mix_channels`, each channel is packed on its
    own.
    """
    packs: list[Pack] = []
    current: Pack | None = None
    order = (lambda p: (p.region[0], p.channel)) if mix_channels else (
        lambda p: (p.channel, p.region[0]))
    for piece in sorted(pieces, key=order):
        if current is not None and not mix_channels and current.pieces[-1].channel != piece.channel:
            current = None
        span = piece.window
        if current is not None:
            prev_end = current.spans[-1][1]
            last = current.pieces[-1]
            joined = last.channel == piece.channel and (
                (join and 0.0 <= span[0] - prev_end <= gap_s)
                or (join_pause_s > 0 and 0.0 <= piece.region[0] - last.region[1] <= join_pause_s
                    and span[0] <= prev_end + gap_s))
            if joined:
                span = (prev_end, max(prev_end, span[1]))
            added = (span[1] - span[0]) + (0.0 if joined else gap_s)
            if current.duration + added <= pack_s:
                current.offsets.append(current.duration + added - (span[1] - span[0]))
                current.pieces.append(piece)
                current.spans.append(span)
                current.duration += added
                piece.heard_with_previous = joined
                continue
            span = piece.window
        piece.heard_with_previous = False
        current = Pack([piece], [span], [0.0], span[1] - span[0])
        packs.append(current)
    return packs


def assign_words(pack: Pack, words: list[dict], convert=lambda t: t) -> None:
    """Give each aligned word to the piece whose audio holds the word's end (or the nearest)."""
    texts: list[list[str]] = [[] for _ in pack.pieces]
    logprobs: list[list[float]] = [[] for _ in pack.pieces]
    aligned = [0 for _ in pack.pieces]
    guessed = [0 for _ in pack.pieces]
    bounds = [(off, off + (span[1] - span[0])) for off, span in zip(pack.offsets, pack.spans,
                                                                     strict=True)]
    for word in words:
        # The alignment starts a word that follows a pause where the previous word ended,
        # so a word's end is where it was heard; punctuation belongs with what precedes it.
        if hallucination.strip_punctuation(word["word"]):
            mid = float(word["end"]) - 0.02
        else:
            mid = float(word["start"])
        best = min(range(len(bounds)),
                   key=lambda i: 0.0 if bounds[i][0] <= mid <= bounds[i][1]
                   else min(abs(mid - bounds[i][0]), abs(mid - bounds[i][1])))
        texts[best].append(word["word"])
        chars = len(hallucination.strip_punctuation(word["word"]))
        if chars:
            inside = bounds[best][0] <= mid <= bounds[best][1]
            if inside:
                aligned[best] += chars
            else:
                guessed[best] += chars
            logprobs[best].append(math.log(max(float(word.get("probability", 1.0)), 1e-6)))
    for i, piece in enumerate(pack.pieces):
        piece.text = convert("".join(texts[i])).strip()
        piece.word_logprobs = logprobs[i]
        piece.aligned_chars, piece.guessed_chars = aligned[i], guessed[i]


class Transcriber:
    """Batched, guarded decoding of speech stretches with one loaded Whisper model."""

    def __init__(self, model, settings: AsrSettings | None = None) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens
        from opencc import OpenCC

        self.model = model
        self.settings = settings or load_asr_settings()
        self.tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
            language=self.settings.language,
        )
        self.prompt = self._prompt(self.settings.initial_prompt)
        self.digit_prompt = (self._prompt(self.settings.digit_prompt)
                             if self.settings.digit_prompt.strip() else self.prompt)
        self.suppress_tokens = get_suppressed_tokens(self.tokenizer, [-1])
        self.to_simplified = OpenCC("t2s").convert
        self.sample_rate = model.feature_extractor.sampling_rate
        # How many windows were decoded, and how many of them a second time with the digit
        # prompt (the cost of that re-decoding, reported by bench.asr_compare).
        self.windows_decoded = 0
        self.digit_redecodes = 0

    def _prompt(self, text: str) -> list[int]:
        """The decoder's start sequence, with `text` before it as previous text ("" for none)."""
        previous = self.tokenizer.encode(" " + text.strip()) if text.strip() else []
        return self.model.get_prompt(self.tokenizer, previous,
                                     without_timestamps=not self.settings.timestamps)

    def _leaked_prompt(self, text: str) -> bool:
        """Whether `text` is only one of the prompts given to the decoder (leaked, not heard)."""
        prompts = [p for p in (self.settings.initial_prompt, self.settings.digit_prompt)
                   if p.strip()]
        return bool(prompts) and hallucination.is_stock_phrase(text, prompts)

    # -- decoding -------------------------------------------------------------------------

    def _features(self, audio: np.ndarray) -> np.ndarray:
        from faster_whisper.audio import pad_or_trim

        return pad_or_trim(self.model.feature_extractor(audio)[..., :-1])

    def _token_budget(self, seconds: float) -> int:
        room = self.model.max_length - len(self.prompt)
        wanted = self.settings.min_tokens + math.ceil(seconds * self.settings.max_tokens_per_s)
        return max(1, min(room, wanted))

    def _generate(self, clips: list[np.ndarray], budget: int, repetition_penalty: float = 1.0
                  ) -> list[tuple[str, float, float, int]]:
        """Decode a batch of clips; returns (text, avg_logprob, no_speech_prob, n_tokens)."""
        encoded = self.model.encode(np.stack([self._features(c) for c in clips]))
        return [(self.to_simplified(self.tokenizer.decode(tokens)).strip(), logprob, no_speech,
                 len(tokens))
                for tokens, logprob, no_speech in self._generate_encoded(
                    encoded, len(clips), budget, repetition_penalty)]

    def _clip(self, samples: np.ndarray, window: Region) -> np.ndarray:
        a = int(window[0] * self.sample_rate)
        b = int(window[1] * self.sample_rate)
        return samples[a:b]

    def decode(self, channels: np.ndarray, pieces: list[Piece]) -> list[Piece]:
        """Fill `text` of each piece.

        Whisper's encoder always looks at 30 s, however short the stretch, so decoding every
        utterance alone would spend most of the time encoding padding. Consecutive pieces of
        one channel are therefore packed into windows of up to `pack_s` seconds, separated by
        short silences; each window is decoded in one go, its text is aligned to the audio
        (cross-attention alignment, per character) and every character goes back to the
        piece it was heard in. Windows are decoded in batches.
        """
        packs = pack_pieces(pieces, self.settings.pack_s, self.settings.pack_gap_s,
                            join=channels.shape[0] > 1,
                            mix_channels=self.settings.pack_mix_channels,
                            join_pause_s=self.settings.mono_join_pause_s)
        size = max(1, self.settings.batch_size)
        packs.sort(key=lambda pk: pk.duration)
        for k in range(0, len(packs), size):
            self._decode_packs(channels, packs[k:k + size])
        self._join_numbers(channels, pieces)
        self._fill_empty(channels, pieces)
        for piece in pieces:
            self._guard(channels[piece.channel], piece)
            self._restore_digits(piece)
            piece.confidence = piece_confidence(piece, self.settings.confidence)
        return pieces

    def _join_numbers(self, channels: np.ndarray, pieces: list[Piece]) -> None:
        """Decode a number cut across pieces once more, whole.

        A number read out in groups ("138 / 0012 / 3456") pauses between the groups; where the
        pause was long enough to separate the pieces, each was decoded with silence after it,
        and Whisper drops or repeats the digits at the cut. When a piece's text ends in numerals
        and the next piece of the same channel, within `number_join_gap_s`, starts with them,
        the run of such pieces is decoded again as one stretch of real audio and its text
        aligned back to the pieces. Only those boundaries are decoded twice.
        """
        s = self.settings
        if s.number_join_gap_s <= 0:  # switched off
            return
        ordered = sorted(pieces, key=lambda p: (p.channel, p.region[0]))
        runs: list[list[Piece]] = []
        for prev, piece in zip(ordered, ordered[1:], strict=False):
            if (prev.channel != piece.channel or piece.heard_with_previous
                    or piece.region[0] - prev.region[1] > s.number_join_gap_s
                    or not _ends_in_numeral(prev.text) or not _starts_with_numeral(piece.text)):
                continue
            if runs and runs[-1][-1] is prev:
                runs[-1].append(piece)
            else:
                runs.append([prev, piece])
        packs = []
        for run in runs:
            start, end = run[0].window[0], run[-1].window[1]
            if end - start > s.pack_s:
                continue
            spans, offsets = [], []
            for i, piece in enumerate(run):
                lo = start if i == 0 else spans[-1][1]
                hi = end if i == len(run) - 1 else max(lo, piece.window[1])
                spans.append((lo, hi))
                offsets.append(lo - start)
            packs.append(Pack(list(run), spans, offsets, end - start))
        if not packs:
            return
        before = {id(p): (p.text, p.word_logprobs, p.aligned_chars, p.guessed_chars)
                  for pk in packs for p in pk.pieces}
        size = max(1, s.batch_size)
        for k in range(0, len(packs), size):
            self._decode_packs(channels, packs[k:k + size])
        for pack in packs:
            if not any(hallucination.strip_punctuation(p.text) for p in pack.pieces):
                for p in pack.pieces:  # nothing came back: keep what the first decoding heard
                    p.text, p.word_logprobs, p.aligned_chars, p.guessed_chars = before[id(p)]
                continue
            for p in pack.pieces:
                p.repairs.append("number_joined")

    def _fill_empty(self, channels: np.ndarray, pieces: list[Piece]) -> None:
        """Decode alone each stretch that received no text from its window.

        Alignment can hand a short reply ("对") to the stretch before it. Decoded alone, the
        reply comes back; when a neighbour's text ends (or starts) with exactly that text, it
        is taken from the neighbour, so nothing is counted twice.
        """
        empty = [p for p in pieces if not p.text and p.duration >= 0.2]
        if not empty:
            return
        ordered = sorted(pieces, key=lambda p: (p.channel, p.region[0]))
        size = max(1, self.settings.batch_size)
        for k in range(0, len(empty), size):
            batch = empty[k:k + size]
            budget = self._token_budget(max(p.window[1] - p.window[0] for p in batch))
            clips = [self._clip(channels[p.channel], p.window) for p in batch]
            for piece, (text, logprob, no_speech, _) in zip(
                batch, self._generate(clips, budget), strict=True
            ):
                if no_speech > self.settings.no_speech_prob and logprob < self.settings.low_logprob:
                    continue
                core = hallucination.strip_punctuation(text)
                stock = list(self.settings.hallucinations)
                if not core or hallucination.is_stock_phrase(text, stock):
                    continue
                i = ordered.index(piece)
                for j, at_end in ((i - 1, True), (i + 1, False)):
                    if 0 <= j < len(ordered) and ordered[j].channel == piece.channel:
                        ordered[j].text = _remove_edge(ordered[j].text, core, at_end)
                piece.text, piece.avg_logprob, piece.no_speech_prob = text, logprob, no_speech
                _heard_alone(piece)
                piece.repairs.append("decoded_alone")

    def _pack_audio(self, channels: np.ndarray, pack: Pack) -> np.ndarray:
        parts: list[np.ndarray] = []
        filled = 0.0
        for piece, span, offset in zip(pack.pieces, pack.spans, pack.offsets, strict=True):
            if offset > filled + 1e-6:  # an artificial pause between stretches far apart
                parts.append(np.zeros(int(round((offset - filled) * self.sample_rate)),
                                      dtype=np.float32))
            clip = self._clip(channels[piece.channel], span)
            parts.append(clip)
            filled = offset + len(clip) / self.sample_rate
        return np.concatenate(parts)

    def _decode_packs(self, channels: np.ndarray, packs: list[Pack]) -> None:
        self.windows_decoded += len(packs)
        audios = [self._pack_audio(channels, pk) for pk in packs]
        features = np.stack([self._features(a) for a in audios])
        encoded = self.model.encode(features)
        budget = self._token_budget(max(pk.duration for pk in packs))
        results = self._generate_encoded(encoded, len(packs), budget)
        tokens_per_pack = []
        for pack, (tokens, logprob, no_speech) in zip(packs, results, strict=True):
            pack.avg_logprob, pack.no_speech_prob = logprob, no_speech
            if len(tokens) >= self._token_budget(pack.duration) or hallucination.has_loop(
                self._text(tokens), self.settings.loop_repeats
            ):
                pack.repairs.append("loop")
            tokens_per_pack.append(tokens)
        # A window that looped is decoded again alone, with a repetition penalty (from the
        # encoder output already computed: the encoder is the costliest step of a window).
        for i, pack in enumerate(packs):
            if "loop" in pack.repairs:
                one = take_encoded(encoded, [i])
                retry = self._generate_encoded(one, 1, self._token_budget(pack.duration),
                                               repetition_penalty=1.3)[0][0]
                if len(retry) < len(tokens_per_pack[i]):
                    tokens_per_pack[i] = retry
        self._fallback(encoded, packs, tokens_per_pack)
        frames = [min(len(a) // 160, 3000) for a in audios]
        words = self._align(encoded, tokens_per_pack, frames)
        self._redecode_digits(encoded, packs, tokens_per_pack, words, frames)
        for pack, tokens, pack_words in zip(packs, tokens_per_pack, words, strict=True):
            assign_words(pack, pack_words, self.to_simplified)
            if not pack_words and tokens:  # alignment failed: give all text to the longest
                longest = max(pack.pieces, key=lambda p: p.duration)
                longest.text = self._text(tokens)
                longest.guessed_chars = len(hallucination.strip_punctuation(longest.text))
            for piece in pack.pieces:
                piece.avg_logprob = pack.avg_logprob
                piece.no_speech_prob = pack.no_speech_prob
                piece.repairs.extend(pack.repairs)

    def _redecode_digits(self, encoded, packs: list[Pack], tokens: list[list[int]],
                         words: list[list[dict]], frames: list[int]) -> None:
        """Decode once more, with the digit prompt, each window whose text holds a run of
        numerals, and keep the reading the decoder finds more probable.

        Whisper base drops, repeats or mishears digits read out one by one (幺 as 腰, 零 as 连);
        a prompt that shows digits being written down makes it expect them. Both readings are
        scored under the same neutral context (the forced alignment's probability of each
        character given the audio and no prompt), never against any reference, so the prompt
        cannot win by making its own text more likely. Only these windows are decoded twice.
        Results replace `tokens[i]` and `words[i]` in place.
        """
        s = self.settings
        if s.digit_redecode_min <= 0:
            return
        todo = [i for i, t in enumerate(tokens)
                if t and self._digits_may_pay(self._text(t), words[i])]
        if not todo:
            return
        again = take_encoded(encoded, todo) if len(todo) < len(tokens) else encoded
        budget = self._token_budget(max(packs[i].duration for i in todo))
        self.digit_redecodes += len(todo)
        results = self._generate_encoded(again, len(todo), budget, prompt=self.digit_prompt)
        others = [r[0] for r in results]
        other_words = self._align(again, others, [frames[i] for i in todo])
        for k, i in enumerate(todo):
            text = self._text(others[k])
            if not others[k] or not other_words[k] or self._leaked_prompt(text) or (
                    hallucination.has_loop(text, s.loop_repeats)):
                continue
            # A reading that stops before the number's end can look more probable only by what
            # it left out (the mean of the characters kept): it never replaces the whole one.
            # A shorter number with other digits (a digit the first reading put in) may.
            if _cut_short(self._digits_read(text), self._digits_read(self._text(tokens[i]))):
                continue
            if words_logprob(other_words[k]) > words_logprob(words[i]):
                tokens[i], words[i] = others[k], other_words[k]
                packs[i].avg_logprob = results[k][1]
                packs[i].repairs.append("digit_prompt")

    def _digits_may_pay(self, text: str, words: list[dict]) -> bool:
        """Whether a window's first reading holds a digit stretch worth decoding again.

        The re-decoding is for personal numbers (phone, ID, card, account: 7 digits or more)
        and costs a second decoding of the whole window, so it runs only where it can change
        such a number: a run of at least `digit_redecode_min` digits (a digit-sounding character
        between numerals counts: 幺 heard as 腰 must not hide the number), or a shorter run of at
        least `digit_redecode_short_min` digits that the decoder itself was unsure of (the mean
        log-probability of its numerals below `digit_redecode_logprob`: the number may have
        come back cut short or misheard). Years, amounts and confident short runs are left.
        """
        s = self.settings
        run = len(self._digits_read(text))
        if run >= s.digit_redecode_min:
            return True
        short = s.digit_redecode_short_min
        return 0 < short <= run and numerals_logprob(words) < s.digit_redecode_logprob

    def _digits_read(self, text: str) -> str:
        """The longest run of digits in `text`, a digit-sounding character between numerals
        read as that digit (腰 for 幺 does not hide a number)."""
        syllables = dict(self.settings.digit_syllables)
        return longest_number(digits.restore_digits(text, syllables, 1))

    def _needs_fallback(self, tokens: list[int], logprob: float, no_speech: float) -> bool:
        """Whether a window's decoding is poor enough to decode again at a temperature, by
        faster-whisper's rule: low average log-probability or a text that compresses too well
        (a loop), unless the decoder calls the window silence."""
        s = self.settings
        low = logprob < s.fallback_logprob
        if low and no_speech > s.fallback_no_speech:
            return False
        return low or compression_ratio(self._text(tokens)) > s.fallback_compression

    def _fallback(self, encoded, packs: list[Pack], tokens: list[list[int]]) -> None:
        """Decode the poor windows of a batch again by sampling at rising temperatures.

        Plain faster-whisper retries a window at temperatures 0.2, 0.4, ... when its text is
        improbable or loops, and takes the first that is not; that is where much of its lead on
        hard stretches (digits read out, telephone audio) comes from. Here only the windows that
        fail the test are decoded again (from their encoder output, not encoded again),
        together, at each temperature in turn; a
        window that passes leaves the retries. When no temperature passes, the decoding with
        the best average log-probability among those that do not loop is kept (the first one
        included). Results replace `tokens[i]` and the pack's log-probability in place.
        """
        s = self.settings
        if s.fallback_tries <= 0:
            return
        todo = [i for i, pk in enumerate(packs)
                if tokens[i] and self._needs_fallback(tokens[i], pk.avg_logprob, pk.no_speech_prob)]
        if not todo:
            return
        import ctranslate2

        ctranslate2.set_random_seed(s.fallback_seed)
        tried: dict[int, list[tuple[list[int], float, float]]] = {
            i: [(tokens[i], packs[i].avg_logprob, packs[i].no_speech_prob)] for i in todo}
        for step in range(1, s.fallback_tries + 1):
            if not todo:
                break
            budget = self._token_budget(max(packs[i].duration for i in todo))
            results = self._generate_encoded(take_encoded(encoded, todo), len(todo), budget,
                                             temperature=step * s.fallback_temperature_step)
            still = []
            for i, result in zip(todo, results, strict=True):
                tried[i].append(result)
                if self._needs_fallback(*result):
                    still.append(i)
                else:
                    tokens[i], packs[i].avg_logprob = result[0], result[1]
                    packs[i].repairs.append("temperature")
            todo = still
        for i in todo:  # nothing passed: the most probable decoding that does not loop
            options = [r for r in tried[i] if r[0] and compression_ratio(self._text(r[0]))
                       <= s.fallback_compression] or tried[i]
            best = max(options, key=lambda r: r[1])
            if best[0] is not tokens[i]:
                tokens[i], packs[i].avg_logprob = best[0], best[1]
                packs[i].repairs.append("temperature")

    def _generate_encoded(self, encoded, n: int, budget: int, repetition_penalty: float = 1.0,
                          temperature: float = 0.0, prompt: list[int] | None = None
                          ) -> list[tuple[list[int], float, float]]:
        """Decode encoded windows; returns (tokens, avg_logprob, no_speech_prob) for each.

        At a temperature above 0 the decoder samples (`fallback_best_of` samples, the most
        probable kept) instead of searching with the beam.
        """
        weigh = temperature <= 0 and self.settings.lexicon_weight > 0
        if temperature > 0:
            search = {"beam_size": 1, "num_hypotheses": self.settings.fallback_best_of,
                      "sampling_topk": 0, "sampling_temperature": temperature}
        else:  # every reading the beam finished, when they are to be weighed (lexicon.py)
            search = {"beam_size": self.settings.beam_size,
                      "num_hypotheses": self.settings.beam_size if weigh else 1}
        prompt = self.prompt if prompt is None else prompt
        results = self.model.model.generate(
            encoded,
            [list(prompt) for _ in range(n)],
            **search,
            max_length=len(prompt) + budget,
            suppress_blank=True,
            suppress_tokens=self.suppress_tokens,
            return_scores=True,
            return_no_speech_prob=True,
            repetition_penalty=repetition_penalty,
        )
        out = []
        for result in results:
            k = self._weigh_readings(result) if weigh else 0
            seq = result.sequences_ids[k]
            tokens = [t for t in seq if t < self.tokenizer.eot]
            n_tok = len(seq)
            avg_logprob = result.scores[k] * n_tok / (n_tok + 1) if n_tok else 0.0
            out.append((tokens, float(avg_logprob), float(result.no_speech_prob)))
        return out

    def _weigh_readings(self, result) -> int:
        """Index of the beam's reading to keep: the decoder's score (per token) plus
        `lexicon_weight` times the text's per-character dictionary log-probability
        (auditor/asr/lexicon.py)."""
        from auditor.compliance.tokens import tokenizer

        jieba = tokenizer()
        readings = [(self._text([t for t in seq if t < self.tokenizer.eot]), float(score))
                    for seq, score in zip(result.sequences_ids, result.scores, strict=True)]
        return lexicon.best_reading(readings, self.settings.lexicon_weight,
                                    lambda text: lexicon.lexicon_logprob(text, jieba))

    def _text(self, tokens: list[int]) -> str:
        return self.to_simplified(self.tokenizer.decode(tokens)).strip()

    def _align(self, encoded, tokens: list[list[int]], frames: list[int]
               ) -> list[list[dict]]:
        """Per-word (for Chinese, per-character) times of each window's text."""
        todo = [i for i, t in enumerate(tokens) if t]
        out: list[list[dict]] = [[] for _ in tokens]
        if not todo:
            return out
        if len(todo) < len(tokens):  # a window without text: align the others only
            encoded = take_encoded(encoded, todo)
        try:
            aligned = self.model.find_alignment(
                self.tokenizer, [tokens[i] for i in todo], encoded, [frames[i] for i in todo],
            )
        except (RuntimeError, ValueError, IndexError):
            return out
        for i, words in zip(todo, aligned, strict=True):
            out[i] = words
        return out

    # -- guards ---------------------------------------------------------------------------

    def _restore_digits(self, piece: Piece) -> None:
        """Write back as digits the same-sounding characters inside a number (digits.py)."""
        s = self.settings
        restored = digits.restore_digits(piece.text, dict(s.digit_syllables),
                                         s.restore_min_numerals)
        if restored != piece.text:
            piece.text = restored
            piece.repairs.append("digit_sound")

    def _guard(self, samples: np.ndarray, piece: Piece) -> None:
        s = self.settings
        if piece.no_speech_prob > s.no_speech_prob and piece.avg_logprob < s.low_logprob:
            piece.text = ""
            piece.repairs.append("no_speech")
            return
        if hallucination.has_loop(piece.text, s.loop_repeats) or "token_budget" in piece.repairs:
            self._redecode_loop(samples, piece)
        if hallucination.is_stock_phrase(piece.text, list(s.hallucinations)) or (
                self._leaked_prompt(piece.text)):
            piece.text = ""
            piece.repairs.append("stock_phrase")
            return
        chars = len(hallucination.strip_punctuation(piece.text))
        if piece.duration >= s.sparse_min_s and chars < s.sparse_chars_per_s * piece.duration:
            self._redecode_sparse(samples, piece)

    def _redecode_loop(self, samples: np.ndarray, piece: Piece) -> None:
        duration = piece.window[1] - piece.window[0]
        text, logprob, no_speech, _ = self._generate(
            [self._clip(samples, piece.window)], self._token_budget(duration),
            repetition_penalty=1.3,
        )[0]
        if not hallucination.has_loop(text, self.settings.loop_repeats) or len(text) < len(
            piece.text
        ):
            piece.text, piece.avg_logprob, piece.no_speech_prob = text, logprob, no_speech
            _heard_alone(piece)
        if hallucination.has_loop(piece.text, self.settings.loop_repeats):
            piece.text = hallucination.collapse_loops(piece.text, self.settings.loop_repeats)
        piece.repairs.append("loop")

    def _redecode_sparse(self, samples: np.ndarray, piece: Piece) -> None:
        start, end = piece.window
        cut = quietest_point(samples, self.sample_rate, start, end)
        halves = [(start, cut), (cut, end)]
        clips = [self._clip(samples, w) for w in halves]
        results = self._generate(clips, self._token_budget(max(cut - start, end - cut)))
        texts, logprobs = [], []
        for text, logprob, no_speech, _ in results:
            if no_speech > self.settings.no_speech_prob and logprob < self.settings.low_logprob:
                continue
            if hallucination.is_stock_phrase(text, list(self.settings.hallucinations)):
                continue
            if hallucination.has_loop(text, self.settings.loop_repeats):
                text = hallucination.collapse_loops(text, self.settings.loop_repeats)
            texts.append(text)
            logprobs.append(logprob)
        joined = "".join(texts)
        if len(hallucination.strip_punctuation(joined)) > len(
            hallucination.strip_punctuation(piece.text)
        ):
            piece.text = joined
            piece.avg_logprob = sum(logprobs) / len(logprobs)
            _heard_alone(piece)
            piece.repairs.append("split")


def take_encoded(encoded, indices: list[int]):
    """The encoder output of the windows at `indices` of a batch (a CTranslate2 StorageView),
    copied out rather than computed again: encoding a 30 s window costs more CPU than decoding
    its text (about 1.6 s against 1.3-2.2 s on one core), and a window's output does not
    depend on the batch it was encoded in."""
    part = np.ascontiguousarray(np.asarray(encoded)[list(indices)])
    if isinstance(encoded, np.ndarray):  # already an array (a scripted decoder's input)
        return part
    import ctranslate2

    return ctranslate2.StorageView.from_array(part)


def longest_number(text: str) -> str:
    """The longest run of digits (Arabic or Chinese numerals, punctuation ignored) in `text`,
    each digit written one way (一 and 幺 as 1).

    Positional numerals (十百千万) end a run: an amount is not a number read digit by digit."""
    return max(map(digits.as_arabic, digits.numeral_runs(text, "十百千万")), key=len, default="")


def longest_numeral_run(text: str) -> int:
    """The length of `longest_number(text)`."""
    return len(longest_number(text))


def _cut_short(number: str, whole: str) -> bool:
    """Whether `number` is `whole` with its last digits missing."""
    return len(number) < len(whole) and whole.startswith(number)


def numerals_logprob(words: list[dict]) -> float:
    """Mean log-probability of the digits (numerals read one by one) among aligned words;
    0.0 when there are none (nothing to be unsure of)."""
    values = []
    for word in words:
        core = hallucination.strip_punctuation(word["word"])
        n = sum(1 for ch in core if hallucination._is_numeral(ch) and ch not in "十百千万")
        if n:
            values.extend([math.log(max(float(word.get("probability", 1e-6)), 1e-6))] * n)
    return sum(values) / len(values) if values else 0.0


def words_logprob(words: list[dict]) -> float:
    """Mean log-probability of the characters of aligned words (-inf for none)."""
    values = []
    for word in words:
        chars = len(hallucination.strip_punctuation(word["word"]))
        if chars:
            values.extend([math.log(max(float(word.get("probability", 1e-6)), 1e-6))] * chars)
    return sum(values) / len(values) if values else -math.inf


def _ends_in_numeral(text: str) -> bool:
    core = hallucination.strip_punctuation(text)
    return bool(core) and hallucination._is_numeral(core[-1])


def _starts_with_numeral(text: str) -> bool:
    core = hallucination.strip_punctuation(text)
    return bool(core) and hallucination._is_numeral(core[0])


def _heard_alone(piece: Piece) -> None:
    """Mark a piece's text as decoded from its own audio: all of it heard there, and its
    log-probability the decoder's own (no per-word figures)."""
    piece.word_logprobs = None
    piece.aligned_chars = len(hallucination.strip_punctuation(piece.text))
    piece.guessed_chars = 0


def compression_ratio(text: str) -> float:
    """UTF-8 bytes over zlib-compressed bytes, as Whisper measures repetition (loops: high)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def piece_confidence(piece: Piece, c: ConfidenceSettings) -> float | None:
    """How far the piece's text can be trusted, 0..1 (None when it has no text).

    The product of four factors, each 0..1 and raised to its weight from asr.toml [confidence]
    (a weight of 0 ignores that signal):

    - token probability: exp(mean log-probability of the words that landed in the piece, from the
      alignment), or exp(the decoder's average log-probability) when the piece was decoded alone;
    - speech: 1 - the decoder's no-speech probability of the window;
    - repetition: min(1, compression_max / compression ratio of the text) (loops compress well);
    - alignment: the share of the text's characters aligned inside the piece's own audio, rather
      than given to it as the nearest piece or, when the alignment failed, wholesale.

    confidence = p_token^w_logprob * speech^w_no_speech * repetition^w_compression
                 * aligned^w_alignment, rounded to 3 places.
    """
    text = hallucination.strip_punctuation(piece.text)
    if not text:
        return None
    if piece.word_logprobs:
        logprob = sum(piece.word_logprobs) / len(piece.word_logprobs)
    else:
        logprob = piece.avg_logprob
    token = math.exp(min(0.0, logprob))
    speech = min(1.0, max(0.0, 1.0 - piece.no_speech_prob))
    ratio = compression_ratio(text)
    repetition = min(1.0, c.compression_max / ratio) if ratio > 0 else 1.0
    total = piece.aligned_chars + piece.guessed_chars
    aligned = piece.aligned_chars / total if total else 1.0
    value = (token ** c.logprob_weight * speech ** c.no_speech_weight
             * repetition ** c.compression_weight * aligned ** c.alignment_weight)
    return round(min(1.0, max(0.0, value)), 3)


def _remove_edge(text: str, core: str, at_end: bool) -> str:
    """`text` without `core` at its end (or start), ignoring punctuation; else unchanged."""
    chars = [(i, ch) for i, ch in enumerate(text) if hallucination.strip_punctuation(ch)]
    n = len(core)
    if len(chars) <= n:
        return text
    edge = chars[-n:] if at_end else chars[:n]
    if "".join(ch for _, ch in edge) != core:
        return text
    if at_end:
        return text[: edge[0][0]].rstrip(" ,，、")
    return text[edge[-1][0] + 1:].lstrip(" ,，、。？！?!")


def coverage(pieces: list[Piece]) -> tuple[float, float]:
    """(speech seconds, share of them that received text)."""
    speech = sum(p.duration for p in pieces)
    if speech <= 0:
        return 0.0, 0.0
    covered = sum(p.duration for p in pieces if hallucination.strip_punctuation(p.text))
    return speech, covered / speech
