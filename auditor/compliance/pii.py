"""Personal numbers read out in full: resident ID cards, mobile numbers, bank cards.

**Reading.** Speech arrives as Arabic digits, Chinese numerals (一/幺 1, 二/两 2, 零/〇/洞 0,
拐 7, 勾 9, 叉/艾克斯 X) or a mix, often in groups ("一三九 1234，五六七八").
``numbers.read_digits`` turns a text into digit *groups* with the position of every digit; a
*run* is a chain of groups joined only by separators (spaces, commas, 、, hyphens, dots) or a
filler word (然后, 接着). A group touching a positional numeral (十百千万) is part of an amount
and never joins a run.

**Validation** (maintained libraries, not our own checks): resident ID by ``stdnum.cn.ric``
(check character, birth date, area code), also the 15-digit IDs issued before 1999 (area code
and a 19YYMMDD birth date); mobile by ``phonenumbers`` (a mainland mobile number, optionally
preceded by 86); bank card by ``stdnum.luhn`` over 16-19 digits. A candidate is a stretch of a
run that starts and ends on group edges, so a mobile number is not found inside an ID.

**Anchors** (data: ``[numbers]`` of ``packs/pii.toml``). The word closest before a run decides:

- a *negative* anchor (合同编号, 订单号, 案号, 工号, 借条, 流水号, 客服电话, 尾号 ...) means the run
  is not personal, even when it passes a checksum; so does a unit right after the run (元, 块, 万,
  期, 号 ...: an amount, a date, a count);
- a *positive* anchor (身份证号, 手机号, 卡号 ...) makes a run count when its length is about the
  kind's, validated or not, because ASR garbles long digit strings: a digit dropped or doubled,
  or a whole group dropped or doubled ("one group short": the run is at most one of its own
  groups shorter or longer than the kind's length). After a positive anchor a character that
  sounds like a digit (似 for 四, 酒 for 九) is read as one, up to ``soft_digit_share``;
- no anchor: only a validated number counts (您是440305199511231988这个身份证办的卡).

**A digit misheard at a number's edge.** Up to two same-sounding characters right before a run
or right after it (要八七，幺三二，幺五，幺零，要 for a mobile opening and ending on 幺) are read as
digits when the run so read holds a validated number that it does not hold alone (the checksum
or the numbering plan says they were digits; ``_edge_extend``), unless a negative anchor
precedes it; such a number is found through misheard words, so its flag is uncertain.

**A digit heard as a unit.** After a positive anchor a number is read digit by digit, so a
positional numeral inside it (六万一七 for 六二幺七: 二 heard as 万) makes no amount when two or
more bare digits follow it with no unit after them (an amount allows one: 一万二 is 12000); such a
numeral is read as one digit of unknown value (``misheard_units``) and the number found through
it is never counted as validated: it rests on its anchor and length, like a garbled one.

In a compound of anchor words the first names the number: 合同|号码 and 客服|电话 are negative,
身份证|编号 positive.

**Two utterances.** ``pii_by_utterance`` also joins a number the same speaker split over two
consecutive utterances (the agent reads 6 digits, pauses, reads the rest): the run ending the
first and the run opening the second are judged as one, and the match is reported on the second.

Masked forms (尾号1234, 138****5678, 后四位) never form a full number. ``mask_text`` replaces the
middle digits of every found number with ``*`` (first 3 and last 4 kept; 86 + 3 for a mobile
with country code).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from stdnum import luhn, numdb
from stdnum.cn import ric

from auditor.compliance.numbers import (
    DIGITS,
    POSITIONAL,
    SEPARATORS,
    Group,
    is_gap,
    read_digits,
    soft_digit,
)
from auditor.core.config import ConfigError, Document, Key, check, parse

__all__ = [
    "DIGITS", "SEPARATORS", "KIND_NAMES", "PiiMatch", "NumberCues", "find_pii", "mask_text",
    "mask_digits", "pii_by_utterance", "valid_id", "valid_mobile", "luhn_ok", "id_check_char",
    "load_cues", "numbers_problems", "soft_digit",
]

PACK = Path(__file__).resolve().parent / "packs" / "pii.toml"

KIND_NAMES = {
    "id_card": "ID-card number",
    "mobile": "mobile number",
    "bank_card": "bank-card number",
}
KINDS = tuple(KIND_NAMES)
# Lengths of a number of each kind read out in full.
FULL_LENGTHS = {"id_card": (15, 18), "mobile": (11, 13), "bank_card": (16, 19)}
# Below this many digits a run is never taken as a garbled full number, even after an anchor.
FLOOR = {"id_card": 12, "mobile": 10, "bank_card": 12}
# A run of one group (no pauses) may miss or gain this many digits.
SLACK = {"id_card": 2, "mobile": 1, "bank_card": 1}


# ---------------------------------------------------------------- cues (data)

NUMBERS_SCHEMA = {
    "numbers": {
        "anchor_reach": Key(int, 0, 20),
        "join_seconds": Key(float, 0, 120),
        "join_lead": Key(int, 0, 30),
        "soft_digit_share": Key(float, 0, 0.5),
        "positive": {k: Key(list) for k in KINDS},
        "negative": {"words": Key(list), "units_after": Key(list)},
    },
}


@dataclass(frozen=True)
class NumberCues:
    """Anchor words and reading limits from ``[numbers]`` of the pii pack."""

    anchor_reach: int
    join_seconds: float
    join_lead: int
    soft_digit_share: float
    positive: Mapping[str, tuple[str, ...]]
    negative: tuple[str, ...]
    units_after: tuple[str, ...]


def numbers_problems(doc: Document) -> list[tuple[int, str]]:
    """Problems of the ``[numbers]`` table of a parsed pack, as (line, message)."""
    if "numbers" not in doc.data:
        return []
    sub = replace(doc, data={"numbers": doc.data["numbers"]})
    return check(sub, NUMBERS_SCHEMA)


@lru_cache(maxsize=8)
def load_cues(path: Path | str = PACK) -> NumberCues:
    """The number cues of a pack file (the built-in pii pack by default), validated."""
    doc, found = parse(path)
    if doc is not None:
        found = numbers_problems(doc)
        if "numbers" not in doc.data:
            found = [(1, "the pack has no [numbers] table")]
    if found or doc is None:
        line, msg = found[0]
        raise ConfigError(f"Cannot read the number cues {path}: line {line}: {msg}.")
    n = doc.data["numbers"]
    pos = n.get("positive", {})
    neg = n.get("negative", {})
    return NumberCues(
        anchor_reach=int(n.get("anchor_reach", 6)),
        join_seconds=float(n.get("join_seconds", 15.0)),
        join_lead=int(n.get("join_lead", 8)),
        soft_digit_share=float(n.get("soft_digit_share", 0.34)),
        positive={k: tuple(pos.get(k, ())) for k in KINDS},
        negative=tuple(neg.get("words", ())),
        units_after=tuple(neg.get("units_after", ())),
    )


# ---------------------------------------------------------------- validators


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number (stdnum)."""
    return ric.calc_check_digit(first17 + "0")


def _plausible_birth(number18: str) -> bool:
    try:
        born = ric.get_birth_date(number18)
    except Exception:  # stdnum raises its ValidationError subclasses
        return False
    return datetime.date(1900, 1, 1) <= born <= datetime.date.today()


@lru_cache(maxsize=4096)
def _known_area(code: str) -> bool:
    """An area code stdnum's table knows as a county, in any period.

    Not ``ric.get_birth_place``, which wants the county to exist in the birth year: the code is
    the one of the place of registration when the card was issued (from 1984), so everyone born
    before their county's code was created would fail.
    """
    info = numdb.get("cn/loc").info(code)
    return any("county" in props for _, props in info)


def valid_id(s: str) -> bool:
    """A resident ID: 18 characters (stdnum check character, a real birth date, a known area
    code), or a 15-digit old ID (no check character: area and 19YYMMDD birth date)."""
    if len(s) == 18:
        return (s[:17].isdigit() and ric.calc_check_digit(s) == s[17]
                and _plausible_birth(s) and _known_area(s[:6]))
    if len(s) == 15 and s.isdigit():
        first17 = s[:6] + "19" + s[6:]
        return valid_id(first17 + id_check_char(first17))
    return False


def valid_mobile(s: str) -> bool:
    """An 11-digit mainland mobile number (optionally 86 + 11 digits), per phonenumbers."""
    if len(s) == 13 and s.startswith("86"):
        s = s[2:]
    if len(s) != 11 or not s.isdigit() or s[0] != "1":
        return False
    try:
        num = phonenumbers.parse(s, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(num) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def luhn_ok(s: str) -> bool:
    """The Luhn check used by bank cards (stdnum.luhn)."""
    return s.isdigit() and luhn.is_valid(s)


def _classify(w: str) -> tuple[str, str] | None:
    """(kind, digits) when the stretch is a valid personal number."""
    if len(w) in (15, 18) and valid_id(w):
        return "id_card", w
    if "X" in w:
        return None
    if len(w) in (11, 13) and valid_mobile(w):
        return "mobile", w
    if 16 <= len(w) <= 19 and luhn_ok(w):
        return "bank_card", w
    return None


# ---------------------------------------------------------------- matches


@dataclass(frozen=True)
class PiiMatch:
    """One full personal number found in a text (or the part of it in this text)."""

    kind: str  # id_card | mobile | bank_card
    digits: str  # normalised digits (X for the ID check character); the whole number
    positions: tuple[int, ...]  # index in the text of each digit character in this text
    validated: bool = True  # False: counted from its anchor and length (ASR-garbled)
    joined: bool = False  # True: the number began in the speaker's previous utterance
    hidden: tuple[int, ...] | None = field(default=None, compare=False)  # positions to star

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

    def starred(self) -> tuple[int, ...]:
        """Positions in the text to replace by '*'."""
        if self.hidden is not None:
            return self.hidden
        n = len(self.positions)
        return self.positions[self.head: n - 4] if n > self.head + 4 else ()


def mask_digits(digits: str, head: int = 3) -> str:
    """Keep the first `head` and last 4 characters, star the rest."""
    if len(digits) <= head + 4:
        return digits
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


Run = list[Group]


def _runs(text: str, groups: list[Group]) -> list[Run]:
    """Groups chained by separators or fillers into runs."""
    runs: list[Run] = []
    for g in groups:
        if runs and is_gap(text[runs[-1][-1].end: g.start]):
            runs[-1].append(g)
        else:
            runs.append([g])
    return runs


def _anchor_before(text: str, pos: int, cues: NumberCues) -> str | None:
    """The kind announced by the anchor word closest before `pos`, or 'negative', or None.

    In a compound of anchor words the first one names the number (合同|号码 is a contract number,
    身份证|编号 an ID number, 客服|电话 a service line), as a Chinese modifier does.
    """
    lo = max(0, pos - cues.anchor_reach - 12)
    before = text[lo:pos]
    occ: list[tuple[int, int, str]] = []  # (start, end, kind)
    for kind, words in (*cues.positive.items(), ("negative", cues.negative)):
        for w in words:
            i = before.find(w)
            while i >= 0:
                occ.append((i, i + len(w), kind))
                i = before.find(w, i + 1)
    near = [o for o in occ if len(before) - o[1] <= cues.anchor_reach]
    if not near:
        return None
    cur = max(near, key=lambda o: (o[1], o[1] - o[0]))
    while True:
        prev = [o for o in occ if o[0] < cur[0] and cur[0] <= o[1] <= cur[1]]
        if not prev:
            break
        cur = min(prev, key=lambda o: (o[0], -o[1]))
    kind = cur[2]
    end = max(o[1] for o in near)
    if kind != "negative" and any(DIGITS.get(c) for c in before[end:]):
        return None  # a digit between the anchor and the number: it announced another number
    return kind


def _unit_after(text: str, end: int, cues: NumberCues) -> bool:
    rest = text[end:end + 4].lstrip(" \u3000")
    return any(rest.startswith(u) for u in cues.units_after)


def _length_fits(kind: str, run: Run) -> bool:
    """About the kind's length: a digit or two off, or one of the run's groups off."""
    n = sum(len(g.digits) for g in run)
    lo, hi = FULL_LENGTHS[kind]
    if n < FLOOR[kind]:
        return False
    slack = SLACK[kind]
    if len(run) > 1:
        slack = max(slack, max(len(g.digits) for g in run))
    return lo - slack <= n <= hi + slack


def _soft_extend(text: str, run: Run, cues: NumberCues) -> Run:
    """The run re-read after a positive anchor with same-sounding characters as digits (似 for
    四, 酒 for 九), when that makes it longer and they stay within ``soft_digit_share``."""
    start = run[0].start
    window = text[start:start + 48]
    groups = [Group(g.digits, tuple(p + start for p in g.positions), g.end + start)
              for g in read_digits(window, soft=True)]
    if not groups:
        return run
    runs = _runs(text, groups)
    new = runs[0]
    # a same-sounding character ending a group is more likely a word (吧, 就, 期)
    trimmed: Run = []
    for g in new:
        digits, positions = g.digits, g.positions
        while positions and DIGITS.get(text[positions[-1]]) is None:
            digits, positions = digits[:-1], positions[:-1]
        if positions:
            trimmed.append(Group(digits, positions, positions[-1] + 1))
        if len(positions) < len(g.positions):
            break
    n_soft = sum(DIGITS.get(text[p]) is None for g in trimmed for p in g.positions)
    n_all = sum(len(g.digits) for g in trimmed)
    if n_all <= sum(len(g.digits) for g in run) or n_soft > cues.soft_digit_share * n_all:
        return run
    return trimmed


EDGE_SOFT = 2  # same-sounding characters read as digits at each edge of a run, at most


def _edge_extend(text: str, run: Run) -> Run | None:
    """The run with up to ``EDGE_SOFT`` same-sounding characters right before it and right
    after it (a separator between) read as digits (要八七，幺三二…，要 for 幺八七…，幺): where
    the recogniser most often mishears a 幺 -- a number's edge, which ``asr.digits`` leaves as
    heard since only numerals on both sides say a character is a digit. None when no edge
    character sounds like one. ``_scan`` keeps it only when the run so read holds a validated
    number the run alone does not: then the checksum or numbering plan, not a guess, says
    they were digits (and the flag rests on misheard words: ``guessed_digits``)."""
    first, last = run[0], run[-1]
    head: list[int] = []
    i = first.start - 1
    while i >= 0 and len(head) < EDGE_SOFT and DIGITS.get(text[i]) is None and soft_digit(text[i]):
        head.insert(0, i)
        i -= 1
    tail: list[int] = []
    k = last.end
    if k < len(text) and text[k] in SEPARATORS:
        k += 1
    while k < len(text) and len(tail) < EDGE_SOFT and DIGITS.get(text[k]) is None \
            and soft_digit(text[k]):
        tail.append(k)
        k += 1
    if not head and not tail:
        return None
    new = list(run)
    if head:
        g = new[0]
        new[0] = Group("".join(str(soft_digit(text[p])) for p in head) + g.digits,
                       (*head, *g.positions), g.end)
    if tail:
        new.append(Group("".join(str(soft_digit(text[p])) for p in tail), tuple(tail),
                         tail[-1] + 1))
    return new


def _validates_more(run: Run, ext: Run) -> bool:
    """Whether the extended run holds a validated number reaching an edge character, where the
    run itself validates none."""
    if _validated(*_flatten(run)[::2]):
        return False
    digits, positions, edges = _flatten(ext)
    soft = set(positions) - {p for g in run for p in g.positions}
    return any(soft & set(positions[lo:hi]) for lo, hi, _ in _validated(digits, edges))


def _flatten(run: Run) -> tuple[str, tuple[int, ...], list[int]]:
    digits = "".join(g.digits for g in run)
    positions = tuple(p for g in run for p in g.positions)
    edges = [0]
    for g in run:
        edges.append(edges[-1] + len(g.digits))
    return digits, positions, edges


_PRIORITY = {"id_card": 0, "bank_card": 1, "mobile": 2}


def _validated(digits: str, edges: list[int]) -> list[tuple[int, int, str]]:
    """Non-overlapping validated stretches (lo, hi, kind) on group edges, longest kinds first."""
    cands: list[tuple[int, int, int, str]] = []
    for a in range(len(edges)):
        for b in range(a + 1, len(edges)):
            lo, hi = edges[a], edges[b]
            if hi - lo > 19:
                break
            got = _classify(digits[lo:hi])
            if got:
                cands.append((_PRIORITY[got[0]], -(hi - lo), lo, got[0]))
    taken: list[tuple[int, int, str]] = []
    for _, neg_len, lo, kind in sorted(cands):
        hi = lo - neg_len
        if any(lo < t_hi and t_lo < hi for t_lo, t_hi, _ in taken):
            continue
        taken.append((lo, hi, kind))
    return taken


def _judge(text: str, run: Run, anchor: str | None, cues: NumberCues) -> list[PiiMatch]:
    """The personal numbers in one run, given the anchor word before it."""
    if anchor == "negative":
        return []
    if _unit_after(text, run[-1].end, cues):
        return []
    digits, positions, edges = _flatten(run)
    # a unit heard for a digit (misheard_units): the digits are not all known, nothing validates
    guessed = any(text[p] in POSITIONAL for p in positions if p < len(text))
    out = [] if guessed else [PiiMatch(kind, digits[lo:hi], positions[lo:hi])
                              for lo, hi, kind in _validated(digits, edges)]
    if out or anchor is None:
        return out
    if anchor == "mobile" and not digits.startswith(("1", "86")):
        return []
    if _length_fits(anchor, run):
        return [PiiMatch(anchor, digits, positions, validated=False)]
    return []


_DIGIT_CHARS = "".join(sorted(c for c, d in DIGITS.items() if d != "X"))
_UNIT_IN_DIGITS = re.compile(
    rf"(?<=[{_DIGIT_CHARS}])([{''.join(sorted(POSITIONAL))}])(?=[{_DIGIT_CHARS}]{{2}})")
# the digit written in place of a unit heard for a digit (its value is unknown; the number
# found through it is never validated)
UNKNOWN_DIGIT = "〇"


def misheard_units(text: str, cues: NumberCues) -> tuple[str, tuple[int, ...]]:
    """The text with every positional numeral that can only be a misheard digit written as
    ``UNKNOWN_DIGIT``, and the positions changed: after a positive anchor (a number read digit
    by digit), a unit between a digit and two or more bare digits not followed by another unit
    (六万一七: no amount reads so; 一万二, 三万五千 do)."""
    changed: list[int] = []
    for m in _UNIT_IN_DIGITS.finditer(text):
        i = m.start(1)
        j = i + 1
        while j < len(text) and DIGITS.get(text[j]) is not None:
            j += 1
        if j < len(text) and text[j] in POSITIONAL:
            continue  # a well-formed amount goes on with a unit (三万五千)
        k = i
        while k > 0 and (DIGITS.get(text[k - 1]) is not None or text[k - 1] in POSITIONAL):
            k -= 1
        if _anchor_before(text, k, cues) in KINDS:
            changed.append(i)
    if not changed:
        return text, ()
    chars = list(text)
    for i in changed:
        chars[i] = UNKNOWN_DIGIT
    return "".join(chars), tuple(changed)


def _scan(text: str, cues: NumberCues) -> list[tuple[Run, str | None]]:
    """The runs of a text with the anchor before each (soft digits read after a positive one;
    a unit heard for a digit read as one, ``misheard_units``)."""
    text, _ = misheard_units(text, cues)
    out: list[tuple[Run, str | None]] = []
    covered = -1
    for run in _runs(text, read_digits(text)):
        if run[0].start < covered:
            continue  # read already as part of a run extended over same-sounding characters
        anchor = _anchor_before(text, run[0].start, cues)
        if anchor in KINDS:
            run = _soft_extend(text, run, cues)
        if anchor != "negative" and (ext := _edge_extend(text, run)) and _validates_more(run, ext):
            run = ext
        covered = run[-1].end
        out.append((run, anchor))
    return out


def find_pii(text: str, cues: NumberCues | None = None) -> list[PiiMatch]:
    """Every full ID-card, mobile or bank-card number in the text, in order."""
    cues = cues or load_cues()
    found: list[PiiMatch] = []
    for run, anchor in _scan(text, cues):
        found.extend(_judge(text, run, anchor, cues))
    return sorted(found, key=lambda m: m.start)


MISHEARD_DIGITS = "misheard_digits"  # the reason a flag on such a number is uncertain


def guessed_digits(text: str, match: PiiMatch) -> int:
    """How many of the match's digits in `text` were read from characters that are no digits:
    a same-sounding character (似 for 四) or a unit heard for a digit (``misheard_units``). A
    number found through them rests on misheard words, so its flag is uncertain."""
    return sum(1 for p in match.positions if p < len(text) and DIGITS.get(text[p]) is None)


def mask_text(text: str, matches: list[PiiMatch] | None = None) -> str:
    """The text with the middle digits of each personal number replaced by '*'."""
    if matches is None:
        matches = find_pii(text)
    chars = list(text)
    for m in matches:
        for p in m.starred():
            chars[p] = "*"
    return "".join(chars)


# ---------------------------------------------------------------- across utterances


def _speaker(u: Mapping[str, Any]) -> str:
    return str(u.get("speaker") or "unknown").strip().lower()


def _join(prev_text: str, prev_scan: list[tuple[Run, str | None]], text: str,
          scan: list[tuple[Run, str | None]], cues: NumberCues) -> PiiMatch | None:
    """A number begun at the end of `prev_text` and finished at the start of `text`."""
    if not prev_scan or not scan:
        return None
    run_a, anchor = prev_scan[-1]
    run_b, anchor_b = scan[0]
    if len(prev_text[run_a[-1].end:].strip(" ，,。.、…-—")) > 2:
        return None  # the first utterance went on after its digits
    if run_b[0].start > cues.join_lead or anchor_b == "negative":
        return None
    if anchor_b in KINDS and anchor is None:
        anchor = anchor_b  # 接着刚才的，05121467，就是你身份证后面这几位 names it late
    if anchor is None:
        tail = text[run_b[-1].end:run_b[-1].end + 12]
        anchor = next((k for k, ws in cues.positive.items() if any(w in tail for w in ws)),
                      None)
    joined = run_a + run_b
    got = _judge(text, joined, anchor, cues)
    whole = [m for m in got if m.positions[0] in run_a[0].positions
             and m.positions[-1] in run_b[-1].positions]
    if not whole:
        return None
    m = whole[0]
    n_a = sum(len(g.digits) for g in run_a)
    head = m.head
    own = tuple(p for g in run_b for p in g.positions)
    hide = [own[i - n_a] for i in range(head, len(m.digits) - 4) if i >= n_a]
    return PiiMatch(m.kind, m.digits, own, validated=m.validated, joined=True,
                    hidden=tuple(hide))


def pii_by_utterance(utterances: Sequence[Mapping[str, Any]],
                     cues: NumberCues | None = None) -> list[list[PiiMatch]]:
    """The personal numbers of each utterance, in order; a number the same speaker split over
    two consecutive utterances (within ``join_seconds``) is reported on the second.

    Utterances are taken in the order given (sorted by start, as the audit sorts them).
    """
    cues = cues or load_cues()
    scans = [_scan(str(u.get("text", "") or ""), cues) for u in utterances]
    out: list[list[PiiMatch]] = []
    last_of: dict[str, int] = {}
    for i, u in enumerate(utterances):
        text = str(u.get("text", "") or "")
        found = []
        for run, anchor in scans[i]:
            found.extend(_judge(text, run, anchor, cues))
        sp = _speaker(u)
        j = last_of.get(sp)
        if j is not None and (i - j) <= 2:
            gap = float(u.get("start", 0) or 0) - float(utterances[j].get("end", 0) or 0)
            first = scans[i][0][0] if scans[i] else None
            covered = first is not None and any(m.start <= first[0].start < m.end
                                                for m in found)
            prev_text = str(utterances[j].get("text", "") or "")
            prev_last = scans[j][-1][0] if scans[j] else None
            prev_done = prev_last is not None and any(
                m.start <= prev_last[-1].start < m.end for m in out[j])
            if gap <= cues.join_seconds and not covered and not prev_done:
                m = _join(prev_text, scans[j], text, scans[i], cues)
                if m is not None:
                    found.append(m)
        last_of[sp] = i
        out.append(sorted(found, key=lambda m: m.start))
    return out
