"""Word classes ("concepts") and the proximity expressions rules build from them.

A concept is a table ``[concept.NAME]`` in any pack (the built-in library is
``packs/concepts.toml``): ``members`` count on their own, ``context_members`` only inside a
combination (an expression with two or more terms) or in a rule limited by position. A pack may
extend a concept; members are merged. ``pinyin = true`` on a concept also matches its members by
toneless pinyin (ASR homophones: 借呗 heard as 戒备). ``suffix = true`` makes the members word
endings: a word jieba does not know (or a name jieba split off before the ending) that ends with
one, and is not a context member (鲜花, 借口), is a member too (安顺分期, 星辰花).

Members are matched on the clause text with these guards: a member of three or more characters
may cut into a word at one end; a shorter one must sit on word boundaries, except that an end may
fall inside a word jieba only guessed (not in its dictionary) or a word that is itself a member
of some concept, or before/after one glue character (的, 了, 个, 吗 ...): jieba glues short
phrases into longer words (老赖皮, 滚蛋吧), and such a phrase must still be found. A member that
contains a second-person pronoun (打断你的腿) also matches with the pronoun dropped or replaced
(打断腿, 打断他的腿): real speech drops 你/您. Members are normalised the way speakers vary them:
a count stands for any count (借一笔 = 借两笔 = 借点), a trailing 的 is optional, an attributive 的
may be 那个/这个 or dropped, 说/讲 and 吗/么 are interchangeable, and the matcher also reads each
clause with inserted particles and pronouns dropped (打断了他的腿 -> 打断腿; ``matching.squeeze``).
A member read as verb + object also matches with 把 moving the object first, up to six characters
after 把 and three before the verb (丢尽了脸 in 把你们家的脸都丢尽了, 押车 in 把你那个车押给…;
``compile_ba``); an opening 跟你 before a speech verb's failure complement is optional (跟你说不通
in 你这人怎么说不通).

An expression (``near = [...]`` in a rule) chains terms with operators::

    visit_verb ~8 visit_place          A and B within 8 characters, either order
    impersonation_frame >10 legal_authority   A then B, at most 10 characters between
    exposure_means ~s contacts         A and B in one sentence
    money_source >next repay_word      B after A, here or in the same speaker's next utterance
    tell_verb|告诉 ~6 family_member+    alternatives with |; a Chinese word is a literal;
                                       NAME+ adds the context members even to a one-term rule
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor.compliance.tokens import tokenize, word_freq

_PRONOUN = re.compile(r"(你们|您们|你|您)(的)?")
_OPT_PRONOUN = "(?:你们|您们|他们|她们|你|您|他|她)?的?"
GLUE = set("的了个吗呢吧啊呀么嘛哦你我他她们就都也还又得着过给先再去来才别要能会把被让")
OP_RE = re.compile(r"^(~|>)(\d+|s|next)$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*\+?$")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Concept:
    """A compiled word class."""

    name: str
    members: tuple[str, ...]
    context_members: tuple[str, ...]
    pinyin: bool = False
    description: str = ""
    suffix: bool = False  # members are word endings: a brand name nobody listed (X花, Y分期)


# A numeral + measure word inside a member (借一笔, 说了几遍) stands for any count: 借两笔,
# 说了三遍. A count of money (一笔/一点/一些/一个) also stands for the others and for a bare
# measure word (借个, 借点), since speakers say them interchangeably.
_QUANT = re.compile(r"[一两二三四五六七八九十几半百千万]+([笔张个点些下顿次遍回趟条])")
_NUM = "[一两二三四五六七八九十几半百千万]{1,3}"
_MONEY_QUANT = f"(?:{_NUM}[笔个点些]|[笔点些]|一点儿?|一些)"  # bare 个 is too common (打个电话)
# Characters speakers use interchangeably in the same phrase (跟你说不清 = 跟你讲不清).
_SAME = {"说": "[说讲]", "讲": "[说讲]", "吗": "[吗么]", "么": "[吗么]"}
# Particles a speaker inserts into a phrase without changing it (打断了腿, 借过钱, 骗钱的):
# a member's trailing 的 is optional, and the matcher also reads each clause with these
# tokens dropped (``auditor.compliance.matching.squeeze``).
FILLER_TOKENS = frozenset({"了", "过", "着", "的", "地", "啦", "一下", "一点", "一点儿", "点儿",
                           "一些", "这个", "那个", "个", "到底", "究竟", "最好"})


def _plain_regex(text: str, inside: bool) -> str:
    """Escape a member piece; a numeral + measure word after its start stands for any count."""
    out, pos = [], 0
    for m in _QUANT.finditer(text):
        if m.start() == 0 and not inside:
            continue  # 一下子, 两个人: a count that opens the member is its meaning
        measure = m.group(1)
        if m.group(0) == "一" + measure and measure not in "笔个点些":
            continue  # 最后一遍, 打一顿: one time is meant literally
        out.append(re.escape(text[pos:m.start()]))
        if measure in "笔个点些":
            out.append(_MONEY_QUANT)
        else:  # a count of times means many: 说了几遍 is not 说一遍 (再说一遍 is polite)
            out.append(f"(?!一{re.escape(measure)}){_NUM}{re.escape(measure)}")
        pos = m.end()
    out.append(re.escape(text[pos:]))
    return "".join(out)


_COMMON_REST = 500  # jieba frequency from which a word stands on its own (随便, 收拾, 教训)
_ATTRIB = "(?:的|那个|这个)?"  # 上班的地方 = 上班那个地方 = 上班地方


def _attributive(rx: str, member: str) -> str:
    """An attributive 的 inside a member of four or more characters is optional and may be a
    demonstrative (上班那个地方); 的 glued to a pronoun is handled with the pronoun."""
    if len(member) < 4:
        return rx
    out = []
    for i, ch in enumerate(rx):
        inner = 0 < i < len(rx) - 1 and rx[i - 1] not in "?)" and rx[i + 1] not in "?(["
        out.append(_ATTRIB if ch == "的" and inner else ch)
    return "".join(out)


def _same_chars(rx: str) -> str:
    """Let interchangeable characters (说/讲, 吗/么) stand for each other in a member's regex."""
    return "".join(_SAME.get(ch, ch) for ch in rx)


# A comitative 跟你/和你 opening a member whose rest is a speech verb with a potential complement
# of failure (跟你说不通, 跟你讲不清): the inability is the meaning, with or without the companion,
# and speakers drop it (你这人怎么说不通). Other openings carry the meaning (对你不客气, 给你推荐,
# 跟你说过了) and stay.
_LEAD_PP = re.compile(r"^[跟和同](你们|您们|你|您)(?=[说讲聊谈沟][通]?不[\u4e00-\u9fff]{1,2}$)")
_PP_RX = "(?:[跟和同](?:你们|您们|他们|她们|你|您|他|她))?"


def member_regex(member: str) -> str:
    """The regular expression of one member: escaped, a second-person pronoun optional, a count
    (一笔) any count, a trailing 的 optional (要饭的 also as 要饭), an opening 跟你 optional
    before a speech verb's failure complement (跟你说不通 also as 说不通)."""
    lead = _LEAD_PP.match(member)
    if lead and word_freq(member[lead.end():]) < 100:  # 说不清 (an everyday word) keeps it
        return _PP_RX + member_regex(member[lead.end():])
    if len(_PRONOUN.sub("", member)) < 2:  # 日你 must not shrink to 日
        return re.escape(member)
    tail = ""
    if member.endswith("的") and len(member) >= 3 and not member.endswith("你的") \
            and not member.endswith("您的"):
        member, tail = member[:-1], "的?"
    parts, pos = [], 0
    for m in _PRONOUN.finditer(member):
        parts.append(_plain_regex(member[pos:m.start()], pos > 0))
        # dropped only as a possessive (你的腿 -> 腿) or at the end (收拾你 -> 收拾); inside a
        # phrase only replaced (就你这样 -> 就他这样, never 就这样)
        # a pronoun ending the member drops only when what is left is no everyday word on its
        # own (收拾你 must not shrink to 收拾, 随便你 to 随便, 教训你 to 教训)
        droppable = m.group(2) or (m.end() == len(member)
                                   and word_freq(member[:m.start()]) < _COMMON_REST)
        parts.append(_OPT_PRONOUN if droppable else "(?:你们|您们|他们|她们|你|您|他|她)")
        pos = m.end()
    parts.append(_plain_regex(member[pos:], pos > 0))
    return _same_chars(_attributive("".join(parts), member)) + tail


@lru_cache(maxsize=4096)
def compile_words(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation over the words, longest first (ASCII case-insensitive); cached, since
    the literal words of an expression are compiled for every utterance."""
    ws = sorted({w for w in words if w}, key=len, reverse=True)
    if not ws:
        return None
    return re.compile("|".join(member_regex(w) for w in ws), re.IGNORECASE)


# What follows a verb but is no object that 把 could move (押出去, 借一笔, 说一遍).
_NOT_OBJECT = re.compile(r"^([不没].*|[出进上下回过起开走掉到]+[去来]?|[一两几].?|给.?|"
                         r"[了过着的吧吗呢啊]+)$")
_BA_PRONOUNS = frozenset({"你", "您", "他", "她", "你们", "您们", "他们", "她们", "你家", "全家"})


def ba_forms(member: str) -> list[tuple[str, str]]:
    """(object, verb) pairs of a member read as verb + object (丢尽了脸 -> (脸, 丢尽)): the same
    phrase said with 把 moving the object first (把你们家的脸都丢尽了, 把车押给…). Pronouns
    and particles are left out; a direction or count after the verb is no object. A member
    whose object is a pronoun (告诉过你了) has only its verb left: a two-character verb is then
    no verb-object word (把投诉渠道告诉您 does not say 告诉过你了)."""
    words = [t for t in tokenize(member) if t not in FILLER_TOKENS]
    toks = [t for t in words if t not in _BA_PRONOUNS]
    if len(toks) == 1 and len(toks[0]) == 2 and len(toks) == len(words):
        toks = list(toks[0])  # a verb-object word (押车, 丢脸): 把车押, 把脸丢
    out: list[tuple[str, str]] = []
    for k in range(1, len(toks)):
        verb, obj = "".join(toks[:k]), "".join(toks[k:])
        if len(verb) + len(obj) < 2 or _NOT_OBJECT.match(obj) or verb in "把将被让给":
            continue
        if not all(_HAN.match(c) for c in verb + obj):
            continue
        out.append((obj, verb))
    return out


@lru_cache(maxsize=1024)
def compile_ba(members: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a class's members said with 把 (把 + at most 6 characters + object + at
    most 3 characters + verb), e.g. 丢尽脸 in 把你们家的脸都丢尽了; None when no member is verb +
    object. The match runs from 把 to the verb."""
    alts = sorted({f"{re.escape(o)}[^把将]{{0,3}}?{re.escape(v)}"
                   for m in members for o, v in ba_forms(m)}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(f"[把将][^把将]{{0,6}}?(?:{'|'.join(alts)})")


GAP_BLOCK = set("不没别未非无莫勿")  # an inserted negation changes the phrase: not a gap


def gap_pairs(members: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(head, tail) splits of members of four or more characters at a jieba word boundary, each
    part two or more characters: the member may be said with one short word inserted between
    them (丢尽了 + 全家的 + 脸 ...); see ``matching.gap_spans``."""
    out: list[tuple[str, str]] = []
    for m in members:
        if len(m) < 4 or not all(_HAN.match(c) for c in m):
            continue
        pos = 0
        for t in tokenize(m)[:-1]:
            pos += len(t)
            if pos >= 2 and len(m) - pos >= 2:
                out.append((m[:pos], m[pos:]))
    return tuple(dict.fromkeys(out))


def concepts_from(tables: dict[str, dict[str, Any]]) -> dict[str, Concept]:
    """Compile merged concept tables (name -> table) into Concepts."""
    out: dict[str, Concept] = {}
    for name, t in tables.items():
        mem = tuple(dict.fromkeys(t.get("members", [])))
        ctx = tuple(w for w in dict.fromkeys(t.get("context_members", [])) if w not in mem)
        out[name] = Concept(name, mem, ctx, bool(t.get("pinyin", False)),
                            t.get("description", ""), bool(t.get("suffix", False)))
    return out


# ----------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Term:
    """One term of an expression: concept names and literal words, any of which matches."""

    text: str
    concepts: tuple[tuple[str, bool], ...]  # (name, include context members)
    literals: tuple[str, ...]


@dataclass(frozen=True)
class Expr:
    """Terms joined by operators: ops[i] joins terms[i] and terms[i + 1]."""

    text: str
    terms: tuple[Term, ...]
    ops: tuple[tuple[bool, str], ...]  # (ordered, '8' | 's' | 'next')

    @property
    def combined(self) -> bool:
        return len(self.terms) > 1

    @property
    def uses_next(self) -> bool:
        return any(w == "next" for _, w in self.ops)


BUILTIN_TERMS = {
    "person_name": "a word jieba tags as a personal name (王磊, 李芳): tokens.person_names",
}
"""Terms an expression may name that are not word classes: found by the matcher, not by
members (matching.term_spans)."""


class ExprError(ValueError):
    """An expression that cannot be parsed; the message says why."""


def parse_expr(text: str, known: set[str] | None = None) -> Expr:
    """Parse 'A ~8 B >s C'; raise ExprError naming the bad part (unknown concept, lone op)."""
    toks = text.split()
    if not toks:
        raise ExprError("the expression is empty")
    terms: list[Term] = []
    ops: list[tuple[bool, str]] = []
    for k, tok in enumerate(toks):
        if k % 2 == 1:
            m = OP_RE.match(tok)
            if not m:
                raise ExprError(f"'{tok}' is not an operator; use ~N, >N, ~s, >s or >next "
                                f"between two terms")
            ops.append((m.group(1) == ">", m.group(2)))
            continue
        if OP_RE.match(tok):
            raise ExprError(f"operator '{tok}' needs a term on both sides")
        names, lits = [], []
        for alt in tok.split("|"):
            if not alt:
                raise ExprError(f"empty alternative in '{tok}'")
            if _HAN.search(alt):
                lits.append(alt)
            elif _NAME_RE.match(alt):
                name = alt.rstrip("+")
                if known is not None and name not in known and name not in BUILTIN_TERMS:
                    raise ExprError(f"unknown concept '{name}'")
                names.append((name, alt.endswith("+")))
            else:
                raise ExprError(f"'{alt}' is neither a concept name (lower_case) nor a "
                                f"Chinese word")
        terms.append(Term(tok, tuple(names), tuple(lits)))
    if len(terms) != len(ops) + 1:
        raise ExprError("the expression ends with an operator")
    return Expr(text, tuple(terms), tuple(ops))
