"""Speech rate: spoken characters per minute of a speaker's own speaking time.

The unit is the spoken syllable, which in Mandarin is one Chinese character. Text from the
transcript is counted as it would be read aloud, so a rate does not depend on how the ASR chose
to write a number:

- each Chinese character (any Unicode letter outside the Latin alphabet) counts one;
- punctuation, symbols and spaces count nothing;
- Arabic digits count as they are spoken: a quantity such as 12345 is read 一万二千三百四十五 (9
  syllables), 12.5 as 十二点五, 5% as 百分之五; digit strings that are read one digit at a time
  (phone, card and ID numbers: 7 digits or more, a leading zero, a year before 年, after a word
  such as 尾号/工号/电话 or any label ending in 号, or split by commas that are not a thousands
  grouping; long numbers unless written as an amount) count one per digit;
- Latin words count their vowel groups (hello = 2), all-capital short acronyms one per letter
  (APP = 3, OK = 2).

Speaking time is the utterance's span trimmed of leading and trailing silence, less any pause
of ``PAUSE_S`` or more inside it and any moment that is the other party's turn heard on the line
(see ``speaking_seconds``); the time between utterances never counts, which is what "per minute
of own speaking time" means. Silence here is judged against the channel's own background too
(``auditor.voice.loudness.timing_mask``), so a noisy line's hiss does not lengthen a line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

#: Pauses at least this long inside an utterance are not speaking time (a segmenter that merged
#: two sentences should not make a speaker look slow). Shorter pauses are part of normal delivery.
PAUSE_S = 1.0

#: Below this much speaking time a per-utterance rate is too noisy to report.
MIN_SPEAKING_S = 0.3

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("千", "百", "十", "")
_BIG_UNITS = ("", "万", "亿", "万亿")

# Words after which a number is read digit by digit.
_DIGITWISE_CONTEXT = (
    "尾号", "工号", "号码", "电话", "手机", "卡号", "编号", "账号", "帐号", "单号", "验证码",
    "身份证", "分机", "房间", "车牌", "邮编",
    "公号", "功耗",  # how Whisper often writes 工号
)
# Units after which even a long number is an amount read as a quantity.
_QUANTITY_AFTER = ("元", "块", "万", "亿", "%", "人民币")
# A label that ends in 号 (尾号, 工号, 账号, 订单号 and their mishearings, 因为号 for 尾号) names a
# number of three digits or more after it as an identifier, which is read digit by digit; a
# copula may stand between (手机号是, 编号为). A day of the month puts 号 after its number (28号),
# never before; a short number after one (28号10点) is a time and keeps its quantity reading.
_ID_LABEL_RE = re.compile(r"号(?:码)?(?:是|为|:|：)?$")
# Digits and the commas the recogniser puts between them. Only a thousands grouping (1-3 digits,
# then groups of exactly three) is an amount's mark; other groupings are the pauses of a number
# read out in parts (187,302,95203 for a phone number read 3-3-5).
# Hyphens between groups of three digits or more are how a service or phone number is written
# (400-989-4627), read out digit by digit as well.
_NUMBER_RE = re.compile(r"\d{3,}(?:-\d{3,})+|\d+(?:,\d+)*(?:\.\d+)?")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_LATIN_RE = re.compile(r"[A-Za-z]+")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


def _read_group(group: int) -> str:
    """Chinese reading of 1..9999 (one 4-digit group), with inner zeros as 零."""
    out = ""
    zero = False
    for unit, digit in zip(_SMALL_UNITS, f"{group:04d}", strict=True):
        d = int(digit)
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + unit
    return out


def read_integer(n: int) -> str:
    """Chinese reading of a non-negative integer as a quantity, e.g. 12345 -> 一万二千三百四十五."""
    if n == 0:
        return "零"
    if n >= 10000 ** len(_BIG_UNITS):
        return "".join(_DIGITS[int(c)] for c in str(n))  # too long for a quantity: digit by digit
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    need_zero = False
    for i in reversed(range(len(groups))):
        group = groups[i]
        if group == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or group < 1000):
            out += "零"
        out += _read_group(group) + _BIG_UNITS[i]
        need_zero = False
    if out.startswith("一十"):  # 10-19 at the head are read 十…, not 一十…
        out = out[1:]
    return out


def _number_syllables(token: str, before: str, after: str, least: bool = False) -> int:
    """Syllables spoken for one run of Arabic digits, given the text around it (`least`: an
    unmarked number counts its shorter reading, see ``spoken_units``)."""
    plain = token.replace(",", "")
    whole, _, frac = plain.partition(".")
    grouped = "," in token
    if "-" in token or (grouped and not _THOUSANDS_RE.fullmatch(token)):
        return sum(c.isdigit() for c in token)  # read out in parts, one syllable a digit
    amount = grouped or "." in token or after.startswith(_QUANTITY_AFTER)
    digitwise = (
        any(before.endswith(word) for word in _DIGITWISE_CONTEXT)
        or (len(whole) >= 3 and not amount and _ID_LABEL_RE.search(before) is not None)
        or (len(whole) > 1 and whole.startswith("0"))
        or (len(whole) == 4 and after.startswith("年"))
        or (len(whole) >= 7 and not amount)
    )
    if digitwise:
        count = len(whole)
    elif least and not amount:
        count = min(len(whole), len(read_integer(int(whole))))
    else:
        count = len(read_integer(int(whole)))
    if frac:
        count += 1 + len(frac)  # 点 + one syllable per decimal digit
    return count


def _latin_syllables(word: str) -> int:
    """Rough syllable count of a Latin-script word or acronym."""
    if word.isupper() and len(word) <= 5:
        return len(word)  # spelled out: APP, OK, VIP
    groups = len(_VOWEL_GROUP_RE.findall(word.lower()))
    if groups > 1 and word.lower().endswith("e") and not word.lower().endswith("le"):
        groups -= 1  # silent final e
    return max(groups, 1)


def spoken_units(text: str, *, least: bool = False) -> int:
    """Number of syllables the text takes to say (Chinese characters, numbers read aloud).

    A number written in Arabic digits with neither an amount's mark (a unit after it, a
    thousands comma, a decimal point) nor a digit-by-digit mark (a word such as 工号 or any label
    ending in 号 before it, a leading zero, seven digits or more, commas at a read-out number's
    pauses) may have been said either way: 55899 is five syllables read out and
    nine as a quantity. It is counted as a quantity, unless `least`, which counts the shorter
    reading: a lower bound of what the text takes to say, for comparing with the syllables
    counted in the signal (a misheard context word must not make a line look whole).
    """
    text = unicodedata.normalize("NFKC", text or "")
    count = 0
    pos = 0
    for match in _NUMBER_RE.finditer(text):
        count += _count_plain(text[pos : match.start()])
        after = text[match.end() :].lstrip()
        count += _number_syllables(match.group(), text[max(0, match.start() - 4) : match.start()],
                                   after, least=least)
        if after.startswith("%"):
            count += 3  # 百分之
        pos = match.end()
    count += _count_plain(text[pos:])
    return count


def _count_plain(text: str) -> int:
    """Syllables in text without Arabic digits: letters count, punctuation does not."""
    count = 0
    for match in _LATIN_RE.finditer(text):
        count += _latin_syllables(match.group())
    text = _LATIN_RE.sub(" ", text)
    for ch in text:
        if unicodedata.category(ch).startswith("L"):
            count += 1
        elif ch in "¥￥":
            count += 1  # 元
    return count


def speaking_seconds(
    active: np.ndarray | None, hop_s: float, span_s: float, pause_s: float = PAUSE_S,
    elsewhere: np.ndarray | None = None,
) -> float:
    """Speaking time inside one utterance span from its per-frame speech mask.

    Leading and trailing silence and inner pauses of ``pause_s`` or more are removed. Frames in
    ``elsewhere`` (aligned with ``active``) are the other party's turn heard on this speaker's
    line (echo, crosstalk on a stereo call): never this speaker's time, however short, so an
    utterance the recogniser ran across the other party's reply is not timed as one long line.
    Without a mask (no audio) or without any speech frame, the whole span counts, as the ASR
    said so.
    """
    if active is None:
        return max(span_s, 0.0)
    other = np.zeros(active.size, dtype=bool) if elsewhere is None else elsewhere[: active.size]
    own = active & ~other
    if not np.any(own):
        return max(span_s, 0.0)
    idx = np.flatnonzero(own)
    first, last = int(idx[0]), int(idx[-1])
    inside = np.zeros(active.size, dtype=bool)
    inside[first : last + 1] = True
    gaps = np.diff(idx) - 1  # frames between consecutive own speech frames
    for a, g in zip(idx[:-1], gaps, strict=True):
        if g * hop_s >= pause_s:
            inside[a + 1 : a + 1 + g] = False  # a long pause: not speaking time
    inside &= ~other  # the other party's turn inside a short gap: not this speaker's time either
    return float(min(np.count_nonzero(inside) * hop_s, span_s))


def rate_cpm(units: int, seconds: float) -> float | None:
    """Characters per minute, or None when there is too little speech to say."""
    if units <= 0 or seconds < MIN_SPEAKING_S:
        return None
    return units / seconds * 60.0


def pooled_rate_cpm(units: Sequence[int], seconds: Sequence[float]) -> float | None:
    """Rate over several utterances: all characters over all speaking time (not a mean of rates)."""
    total_s = float(sum(seconds))
    total_units = int(sum(units))
    return rate_cpm(total_units, total_s)


# --------------------------------------------------------------------------- from the signal
#
# Syllable nuclei, after de Jong & Wempe (2009, "Praat script to detect syllable nuclei"): a
# Mandarin syllable has one vowel, and each vowel is a peak of the speech-band intensity that
# stands out from the dip before it. Counting peaks gives a rate that does not depend on what the
# recogniser heard, so a garbled transcript (characters dropped) cannot make a fast speaker look
# normal. Calibrated on real read Mandarin (../shared/realzh-aishell, the half of its clips whose
# sha256(name) is even; the other half held out): median count error 0 on both halves, mean
# absolute error 10% (tuning) and 11% (held-out) on clips of 4-15 syllables. It undercounts very
# fast conversational speech (syllables run together), so it is used to catch a transcript that is
# short of syllables, never to lower a text count.

#: Speech band for the intensity envelope: vowels carry their energy here; hiss and hum do not.
NUCLEUS_BAND_HZ = (300.0, 3400.0)
#: Envelope frames (10 ms hop, 25 ms window) and smoothing (Hann, frames).
NUCLEUS_HOP_S = 0.010
NUCLEUS_FRAME_S = 0.025
NUCLEUS_SMOOTH_FRAMES = 5
#: A peak must rise this many dB above the dip before it ...
NUCLEUS_DIP_DB = 3.0
#: ... be no more than this far below the utterance's loudest frame (and above its median) ...
NUCLEUS_FLOOR_DB = 20.0
#: ... and lie at least this far from the previous peak (12 syllables a second at most).
NUCLEUS_MIN_GAP_S = 0.08


def syllable_nuclei(samples: np.ndarray, sample_rate: int) -> int:
    """Number of syllable nuclei (intensity peaks of the speech band) in a stretch of speech."""
    import scipy.signal as ss

    y = np.asarray(samples, dtype=np.float64).reshape(-1)
    frame = int(round(NUCLEUS_FRAME_S * sample_rate))
    hop = max(1, int(round(NUCLEUS_HOP_S * sample_rate)))
    if y.size < frame + hop:
        return 0
    nyq = sample_rate / 2.0
    lo, hi = NUCLEUS_BAND_HZ[0] / nyq, min(NUCLEUS_BAND_HZ[1], 0.95 * nyq) / nyq
    sos = ss.butter(4, [lo, hi], btype="band", output="sos")
    band = ss.sosfilt(sos, y)
    frames = np.lib.stride_tricks.sliding_window_view(band, frame)[::hop]
    db = 10.0 * np.log10((frames**2).mean(axis=1) + 1e-12)
    window = np.hanning(NUCLEUS_SMOOTH_FRAMES + 2)[1:-1]
    db = np.convolve(db, window / window.sum(), mode="same")
    floor = max(float(db.max()) - NUCLEUS_FLOOR_DB, float(np.median(db)))
    peaks, _ = ss.find_peaks(db, prominence=NUCLEUS_DIP_DB,
                             distance=max(1, int(round(NUCLEUS_MIN_GAP_S / NUCLEUS_HOP_S))))
    return int(np.count_nonzero(db[peaks] > floor))


#: The transcript is taken as short of syllables when the signal holds this much more ...
TEXT_SHORTFALL = 0.25
#: ... or when the recogniser's confidence in the line is below this (0-1; transcripts are 1).
CONFIDENT_TEXT = 0.5


def spoken_syllables(text_units: int, audio_nuclei: int | None,
                     confidence: float | None = None) -> tuple[int, str]:
    """Syllables spoken in one utterance and where the figure comes from ("text" or "audio").

    The text count is exact when the words are right, so it stands unless the line is
    low-confidence or the signal shows clearly more syllables than the text has (characters the
    recogniser dropped); then the signal's count is used, never a lower one.
    """
    if audio_nuclei is None:
        return text_units, "text"
    doubtful = confidence is not None and confidence < CONFIDENT_TEXT
    if audio_nuclei > text_units and (doubtful or audio_nuclei > text_units * (1 + TEXT_SHORTFALL)):
        return audio_nuclei, "audio"
    return text_units, "text"
