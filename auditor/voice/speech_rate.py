"""Speech rate: spoken characters per minute of a speaker's own speaking time.

The unit is the spoken syllable, which in Mandarin is one Chinese character. Text from the
transcript is counted as it would be read aloud, so a rate does not depend on how the ASR chose
to write a number:

- each Chinese character (any Unicode letter outside the Latin alphabet) counts one;
- punctuation, symbols and spaces count nothing;
- Arabic digits count as they are spoken: a quantity such as 12345 is read 一万二千三百四十五 (9
  syllables), 12.5 as 十二点五, 5% as 百分之五; digit strings that are read one digit at a time
  (phone, card and ID numbers: 7 digits or more, a leading zero, a year before 年, or after a word
  such as 尾号/工号/电话; long numbers unless written as an amount) count one per digit;
- Latin words count their vowel groups (hello = 2), all-capital short acronyms one per letter
  (APP = 3, OK = 2).

Speaking time is the utterance's span trimmed of leading and trailing silence, less any pause
of ``PAUSE_S`` or more inside it (see ``speaking_seconds``); the time between utterances never
counts, which is what "per minute of own speaking time" means.
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
_NUMBER_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
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


def _number_syllables(token: str, before: str, after: str) -> int:
    """Syllables spoken for one run of Arabic digits, given the text around it."""
    plain = token.replace(",", "")
    whole, _, frac = plain.partition(".")
    amount = "," in token or "." in token or after.startswith(_QUANTITY_AFTER)
    digitwise = (
        any(before.endswith(word) for word in _DIGITWISE_CONTEXT)
        or (len(whole) > 1 and whole.startswith("0"))
        or (len(whole) == 4 and after.startswith("年"))
        or (len(whole) >= 7 and not amount)
    )
    count = len(whole) if digitwise else len(read_integer(int(whole)))
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


def spoken_units(text: str) -> int:
    """Number of syllables the text takes to say (Chinese characters, numbers read aloud)."""
    text = unicodedata.normalize("NFKC", text or "")
    count = 0
    pos = 0
    for match in _NUMBER_RE.finditer(text):
        count += _count_plain(text[pos : match.start()])
        after = text[match.end() :].lstrip()
        count += _number_syllables(match.group(), text[max(0, match.start() - 4) : match.start()],
                                   after)
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
    active: np.ndarray | None, hop_s: float, span_s: float, pause_s: float = PAUSE_S
) -> float:
    """Speaking time inside one utterance span from its per-frame speech mask.

    Leading and trailing silence and inner pauses of ``pause_s`` or more are removed. Without a
    mask (no audio) or without any speech frame, the whole span counts, as the ASR said so.
    """
    if active is None or not np.any(active):
        return max(span_s, 0.0)
    idx = np.flatnonzero(active)
    first, last = int(idx[0]), int(idx[-1])
    trimmed = (last - first + 1) * hop_s
    gaps = np.diff(idx) - 1  # silent frames between consecutive speech frames
    long_pauses = gaps[gaps * hop_s >= pause_s]
    return float(min(trimmed - long_pauses.sum() * hop_s, span_s))


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
