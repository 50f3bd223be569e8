"""Digits misheard as same-sounding characters inside a number read out, written back as digits.

Whisper base writes a digit read one by one as another character of the same syllable (幺 as
要/腰, 零 as 灵, 九 as 就), most often in the middle of a phone or card number: "一三幺零八三七三
要四八". Inside a long run of numerals that character can only be a digit, so it is written as the
digit its syllable reads (in the numerals' own script: Arabic among Arabic digits, Chinese
among Chinese). Only characters with numerals on both sides, in a run holding at least
`min_numerals` of them, are rewritten; a character at the edge of a number, or in ordinary text,
is left as heard. Pure functions over strings; the syllables come from config/asr.toml [digits].
"""

from __future__ import annotations

from functools import lru_cache

from auditor.asr.hallucination import _is_numeral

_ARABIC = {"零": "0", "幺": "1", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
           "七": "7", "八": "8", "九": "9"}


def numeral_runs(text: str, breaks: str = "") -> list[str]:
    """The runs of numerals (Arabic or Chinese) in `text`, punctuation ignored, as written; a
    character of `breaks` ends a run and belongs to none (十百千万: an amount's positional
    numerals, for a number read digit by digit)."""
    from auditor.asr.hallucination import strip_punctuation

    runs, run = [], ""
    for ch in strip_punctuation(text) + " ":
        if _is_numeral(ch) and ch not in breaks:
            run += ch
            continue
        if run:
            runs.append(run)
        run = ""
    return runs


def as_arabic(run: str) -> str:
    """A run of numerals with each digit written one way (一 and 幺 as 1, 零 as 0)."""
    return "".join(_ARABIC.get(c, c) for c in run)


@lru_cache(maxsize=8192)
def _readings(ch: str) -> tuple[str, ...]:
    """Toneless pinyin readings of a Han character (all of them), else none."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return ()
    from pypinyin import Style, pinyin

    return tuple(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def sounds_like_digit(ch: str, syllables: dict[str, str]) -> str | None:
    """The Chinese numeral `ch` sounds like (any reading), else None; numerals themselves: None."""
    if _is_numeral(ch):
        return None
    return next((syllables[r] for r in _readings(ch) if r in syllables), None)


def restore_digits(text: str, syllables: dict[str, str], min_numerals: int) -> str:
    """`text` with each digit-sounding character between numerals, inside a run of numerals
    and such characters that holds at least `min_numerals` numerals, written as that digit.

    A run is a maximal stretch of numerals and digit-sounding characters (spaces and the
    separators 、，- between groups allowed); positional numerals (十百千万) end it, as they
    belong to amounts, not to numbers read digit by digit. 0 switches this off.
    """
    if min_numerals <= 0 or not text:
        return text
    chars = list(text)
    kinds = []  # "n" numeral, "s" sounds like one, "p" a separator, "" anything else
    for ch in chars:
        if ch in "十百千万亿":
            kinds.append("")
        elif _is_numeral(ch):
            kinds.append("n")
        elif ch in " 、，,-":
            kinds.append("p")
        elif sounds_like_digit(ch, syllables):
            kinds.append("s")
        else:
            kinds.append("")
    i = 0
    while i < len(chars):
        if kinds[i] != "n":
            i += 1
            continue
        j = i
        while j + 1 < len(chars) and kinds[j + 1]:
            j += 1
        while kinds[j] != "n":  # the run ends with its last numeral
            j -= 1
        run = range(i, j + 1)
        numerals = [k for k in run if kinds[k] == "n"]
        if len(numerals) >= min_numerals:
            arabic = sum(chars[k].isascii() for k in numerals) * 2 > len(numerals)
            for k in run:
                if kinds[k] == "s":
                    digit = sounds_like_digit(chars[k], syllables)
                    chars[k] = _ARABIC.get(digit, digit) if arabic else digit
        i = j + 1
    return "".join(chars)
