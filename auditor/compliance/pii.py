"""Personal numbers read out in full: resident ID cards, mobile numbers, bank cards.

Speech arrives as Arabic digits, Chinese numerals (一/幺 1, 二/两 2, 零/〇/洞 0, 拐 7, 勾 9,
叉 X) or a mix, often in groups ("一三九 1234，五六七八"). A *run* is a chain of digit groups joined
only by separators (spaces, commas, 、, hyphens, dots) or a filler word (然后, 接着); a candidate
number is a stretch of a run that starts and ends on group edges, so a mobile number is not found
inside an ID.

A candidate counts only if it validates:

- ID card: 18 characters, 17 digits + check character (ISO 7064 MOD 11-2), plausible birth date;
- mobile: 11 digits, 1 then 3–9 (optionally preceded by 86 / +86);
- bank card: 16–19 digits passing the Luhn check.

ASR garbles long digit strings (a digit dropped or doubled, 幺三九 heard as 11-39), and a garbled
number no longer validates although it was read out in full. So a run right after a word that
names the number (身份证号, 手机号, 卡号 …: ``ANCHORS``) also counts when its length is close to
the kind's (``ANCHORED_LENGTHS``), validated or not; nothing else does.

Amounts (一万两千, 3,500.00元) and dates (2024年3月15日, 2024-03-15) are broken by 万/千/年/月 or
are too short, and masked forms (尾号1234, 138****5678) never form a full number.
``mask_text`` replaces the middle digits of every found number with ``*`` (first 3 and last 4
kept; 86 + 3 for a mobile with country code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
SEPARATORS = set(" \t\u3000,，、-—–_.·:：+＋")
FILLERS = ("然后是", "然后", "接着是", "接着", "后面是")
MAX_GAP = 4

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")

# Words that announce a number of a kind, and how many digits a read-out number of that kind may
# have once ASR has dropped or doubled one or two.
ANCHORS = {
    "id_card": ("身份证号码", "身份证号", "身份证", "证件号码", "证件号"),
    "mobile": ("手机号码", "手机号", "电话号码", "手机", "联系电话", "电话"),
    "bank_card": ("银行卡号", "卡号", "账号", "银行账户"),
}
ANCHORED_LENGTHS = {"id_card": (16, 20), "mobile": (10, 13), "bank_card": (15, 20)}
ANCHOR_REACH = 6  # characters between the anchor word and the number ("身份证号是：")

KIND_NAMES = {
    "id_card": "ID-card number",
    "mobile": "mobile number",
    "bank_card": "bank-card number",
}


@dataclass(frozen=True)
class PiiMatch:
    """One full personal number found in a text."""

    kind: str  # id_card | mobile | bank_card
    digits: str  # normalised digits (X for the ID check character)
    positions: tuple[int, ...]  # index in the text of each digit character

    @property
    def start(self) -> int:
        return self.positions[0]

    @property
    def end(self) -> int:
        return self.positions[-1] + 1

    @property
    def head(self) -> int:
        """How many leading digits stay visible (86 + 3 for a mobile with country code)."""
        return 5 if self.kind == "mobile" and len(self.digits) == 13 else 3

    @property
    def masked(self) -> str:
        """The number with its middle digits replaced by '*'."""
        return mask_digits(self.digits, self.head)


def mask_digits(digits: str, head: int = 3) -> str:
    """Keep the first `head` and last 4 characters, star the rest."""
    if len(digits) <= head + 4:
        return digits
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_id(s: str) -> bool:
    """An 18-character resident ID with a correct check character and plausible birth date."""
    if len(s) != 18 or not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        return False
    year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    return id_check_char(s[:17]) == s[17]


def valid_mobile(s: str) -> bool:
    """An 11-digit mainland mobile number (prefix 13–19)."""
    return bool(_MOBILE.match(s))


def luhn_ok(s: str) -> bool:
    """The Luhn check used by bank cards."""
    if not s.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _groups(text: str) -> list[tuple[str, list[int]]]:
    """Maximal stretches of digit characters: (digits, their positions)."""
    out: list[tuple[str, list[int]]] = []
    cur, pos = [], []
    for i, ch in enumerate(text):
        d = DIGITS.get(ch)
        if d is not None:
            cur.append(d)
            pos.append(i)
        elif cur:
            out.append(("".join(cur), pos))
            cur, pos = [], []
    if cur:
        out.append(("".join(cur), pos))
    return out


def _is_gap(gap: str) -> bool:
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


def _runs(text: str) -> list[list[tuple[str, list[int]]]]:
    """Groups chained by separators into runs."""
    runs: list[list[tuple[str, list[int]]]] = []
    for g in _groups(text):
        if runs:
            last = runs[-1][-1]
            gap = text[last[1][-1] + 1 : g[1][0]]
            if _is_gap(gap):
                runs[-1].append(g)
                continue
        runs.append([g])
    return runs


def _classify(w: str) -> tuple[str, str] | None:
    """(kind, digits) when the stretch is a valid personal number."""
    if len(w) == 18 and valid_id(w):
        return "id_card", w
    if "X" in w:
        return None
    if len(w) == 11 and valid_mobile(w):
        return "mobile", w
    if len(w) == 13 and w.startswith("86") and valid_mobile(w[2:]):
        return "mobile", w
    if 16 <= len(w) <= 19 and luhn_ok(w):
        return "bank_card", w
    return None


_PRIORITY = {"id_card": 0, "bank_card": 1, "mobile": 2}


def find_pii(text: str) -> list[PiiMatch]:
    """Every full ID-card, mobile or bank-card number in the text, in order."""
    found: list[PiiMatch] = []
    for run in _runs(text):
        digits = "".join(g[0] for g in run)
        positions = [p for g in run for p in g[1]]
        edges = [0]
        for g in run:
            edges.append(edges[-1] + len(g[0]))
        cands: list[tuple[int, int, int, str, str]] = []
        for a in range(len(edges)):
            for b in range(a + 1, len(edges)):
                lo, hi = edges[a], edges[b]
                if hi - lo > 19:
                    break
                got = _classify(digits[lo:hi])
                if got:
                    cands.append((_PRIORITY[got[0]], -(hi - lo), lo, got[0], got[1]))
        taken: list[tuple[int, int]] = []
        for _, neg_len, lo, kind, num in sorted(cands):
            hi = lo - neg_len
            if any(lo < t_hi and t_lo < hi for t_lo, t_hi in taken):
                continue
            taken.append((lo, hi))
            found.append(PiiMatch(kind, num, tuple(positions[lo:hi])))
    found.extend(_anchored(text, found))
    return sorted(found, key=lambda m: m.start)


def _anchored(text: str, found: list[PiiMatch]) -> list[PiiMatch]:
    """Runs announced by an anchor word with about the right length (see module docstring)."""
    out: list[PiiMatch] = []
    for run in _runs(text):
        digits = "".join(g[0] for g in run)
        positions = [p for g in run for p in g[1]]
        if any(m.start <= positions[0] < m.end or positions[0] <= m.start < positions[-1] + 1
               for m in found):
            continue
        before = text[max(0, positions[0] - ANCHOR_REACH - 6):positions[0]]
        for kind, words in ANCHORS.items():
            lo, hi = ANCHORED_LENGTHS[kind]
            if not lo <= len(digits) <= hi:
                continue
            hit = max((before.rfind(w) + len(w) for w in words if w in before), default=-1)
            if hit < 0 or len(before) - hit > ANCHOR_REACH:
                continue
            if kind == "mobile" and not digits.startswith(("1", "86")):
                continue
            out.append(PiiMatch(kind, digits, tuple(positions)))
            break
    return out


def mask_text(text: str, matches: list[PiiMatch] | None = None) -> str:
    """The text with the middle digits of each personal number replaced by '*'."""
    if matches is None:
        matches = find_pii(text)
    chars = list(text)
    for m in matches:
        n = len(m.positions)
        if n <= m.head + 4:
            continue
        for p in m.positions[m.head : n - 4]:
            chars[p] = "*"
    return "".join(chars)
