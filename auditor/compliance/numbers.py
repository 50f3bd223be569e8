"""Digits as they are spoken and transcribed: Arabic, full-width, Chinese numerals, homophones.

Why not cn2an for this: cn2an converts *positional* numerals (一万二千三百 -> 12300) well, but a
personal number is read digit by digit, with telephone readings (幺 1, 洞 0, 拐 7, 勾 9), X read
as 叉 or 艾克斯 and digits mixed in (三三零一零六19860214六四零叉); cn2an's modes either reject
those or convert without telling where each digit came from, and masking needs the position of
every digit. ``bench/eval_pii.py`` measures both readers on the same strings. Here a digit-by-digit
reader keeps positions; a group that touches a positional numeral (十百千万亿) belongs to an
amount and is dropped.

Homophones: whisper sometimes writes a digit as a same-sounding character (四 -> 似, 九 -> 酒,
幺 -> 要). ``soft_digit`` reads such a character (by its toneless pinyin) as a digit; callers use
it only right after a word that announces a number, and only for a share of the digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, pinyin

DIGITS = {
    **{str(d): str(d) for d in range(10)},
    **{chr(0xFF10 + d): str(d) for d in range(10)},  # full-width digits
    "零": "0", "〇": "0", "洞": "0",
    "一": "1", "幺": "1", "壹": "1",
    "二": "2", "两": "2", "贰": "2",
    "三": "3", "叁": "3",
    "四": "4", "肆": "4",
    "五": "5", "伍": "5",
    "六": "6", "陆": "6",
    "七": "7", "拐": "7", "柒": "7",
    "八": "8", "捌": "8",
    "九": "9", "勾": "9", "玖": "9",
    "X": "X", "x": "X", "叉": "X", "Ｘ": "X",
}
# X of an ID read as a word of several characters (the English letter said aloud).
X_WORDS = ("艾克斯", "爱克斯", "埃克斯")
# What may stand between two digit groups of one number: a pause as the recogniser writes it (a
# comma, a space, a dash; also a full stop, which whisper puts after a group read with a falling
# tone, 六二一七。零零一八), not a question or exclamation mark, which end what was said.
SEPARATORS = set(" \t\u3000,，、-—–_.·:：+＋。．")
FILLERS = ("然后是", "然后", "接着是", "接着", "后面是")
MAX_GAP = 4
POSITIONAL = set("十拾百佰千仟万萬亿億")

# Toneless syllables of the digits as read aloud (telephone readings included).
_SYLLABLES = {"ling": "0", "dong": "0", "yi": "1", "yao": "1", "er": "2", "liang": "2",
              "san": "3", "si": "4", "wu": "5", "liu": "6", "qi": "7", "guai": "7", "ba": "8",
              "jiu": "9"}


@dataclass(frozen=True)
class Group:
    """A maximal stretch of digits: the digits, the text position of each, and its text end."""

    digits: str
    positions: tuple[int, ...]
    end: int  # index after the group's last character

    @property
    def start(self) -> int:
        return self.positions[0]


@lru_cache(maxsize=4096)
def soft_digit(ch: str) -> str | None:
    """The digit a Chinese character sounds like in any of its readings (似 -> 4, 酒 -> 9)."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return None
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True)[0]
    return next((_SYLLABLES[r] for r in readings if r in _SYLLABLES), None)


def read_digits(text: str, soft: bool = False) -> list[Group]:
    """The digit groups of a text, amounts (groups touching 十百千万) left out.

    With ``soft``, a character that sounds like a digit continues a group already begun.
    """
    out: list[Group] = []
    digits: list[str] = []
    pos: list[int] = []
    i, n = 0, len(text)

    def close(end: int) -> None:
        if digits:
            before = text[pos[0] - 1] if pos[0] > 0 else ""
            after = text[end] if end < n else ""
            if before not in POSITIONAL and after not in POSITIONAL:
                out.append(Group("".join(digits), tuple(pos), end))
            digits.clear()
            pos.clear()

    while i < n:
        x = next((w for w in X_WORDS if text.startswith(w, i)), None)
        if x is not None and digits:
            digits.append("X")
            pos.append(i)
            i += len(x)
            close(i)
            continue
        d = DIGITS.get(text[i])
        if d is None and soft and digits:
            d = soft_digit(text[i])
        if d is not None:
            digits.append(d)
            pos.append(i)
        else:
            close(i)
        i += 1
    close(n)
    return out


def is_gap(gap: str) -> bool:
    """Whether the text between two digit groups only separates them (a pause, a filler)."""
    if not gap or len(gap) > MAX_GAP:
        return False
    rest = gap
    while rest:
        if rest[0] in SEPARATORS:
            rest = rest[1:]
            continue
        for f in FILLERS:
            if rest.startswith(f):
                rest = rest[len(f):]
                break
        else:
            return False
    return True


# A numeral character of a spoken amount or count (not 幺/洞/拐/勾, which only read digits out).
NUMERAL = set("0123456789零〇一二两三四五六七八九十百千万亿") | POSITIONAL
# What may follow a numeral run as its unit (二百五十元, 二百五块, 三千二百五一个月).
AMOUNT_UNIT = set("元块毛角分个期天号月年岁次%")


def inside_numeral_run(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]``, a word made only of numerals (二百五, 十三点's 十三), is part of a
    longer spoken number: a numeral right before or after it, or an amount unit right after it
    (三千二百五十元, 二百五块钱). Such a word is the number, not the insult it spells."""
    word = text[s:e]
    if not word or not set(word) <= NUMERAL:
        return False
    before = text[s - 1] if s > 0 else ""
    after = text[e] if e < len(text) else ""
    return before in NUMERAL or after in NUMERAL or after in AMOUNT_UNIT
