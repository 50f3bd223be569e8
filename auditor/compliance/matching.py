"""Rule matching: an utterance split into clauses and words, and the hits of one rule in it.

**Word matching.** Each utterance is split into clauses (on ，。？！；: and spaces) and each clause
into words with jieba (``auditor.compliance.tokens``). A phrase of one or two characters
matches only when both its ends fall on word boundaries (老赖 in 你这个老赖 but not 坐牢 in
坐牢固); a longer phrase matches unless it cuts into words at both ends. ``patterns`` are
regular expressions run on the clause text as written.

**Pinyin matching** (on by default, ``load_rules(pinyin=False)`` turns it off) catches ASR
homophones in two ways: the ``domain_words`` of ``context.toml`` (逾期, 借呗, 工号, 欠款, 征信,
花呗 ...) are found by toneless pinyin and written back into a canonical copy of the clause, which
every rule also sees; and a rule with ``pinyin = true`` also matches its own phrases by pinyin.
False alarms are kept down by these guards: only phrases of two or more syllables; only spans
that start and end on jieba word boundaries; a span that is itself a common word (jieba frequency
>= ``common_word_freq``, e.g. 与其, 预期, 分歧) counts only when its clause also holds a debt anchor
(a digit, a number with a unit such as 三天/五千元, or a word of ``pinyin_anchors``); a span made
only of numerals inside a longer run of numerals (一七 in 一三九一七...) never counts.

**Context.** For a ``negatable`` rule, a negator (不会, 没有, 不是 ...) before
the phrase in the same clause, within ``negation_window`` characters and
with no breaker (就, 但是, 否则 ...) between them, cancels the hit: 我们不会上门 is
reassurance, 不还钱就上门 is not, and in 我们不会上门，但是你家人都会知道你是老赖 the second
clause still flags. The 不/没 of an A-not-A question (能不能, 要不要, 有没有) is no
negator (你女朋友能不能先借你点 is a push). A hit in a sentence that begins by
repeating the customer's words (您是说…, 您担心…) is not the agent's own
statement; a marker that names what was said as a noun phrase (你问的这个,
您说的) quotes only inside its own clause. ``unless = ["refusal"]``: the
agent refusing or warning against the act earlier in the clause (context
``refusals``: 我们不接受…, 请不要相信…) cancels that hit only. Patterns see the
clause's final question mark (a ？ is appended when the clause ends with
one), so a question without 吗 can be written ``…干嘛？``. Any
``exceptions`` phrase in the clause cancels the rule's hits there.
Lawful, true notices (会影响您的个人征信, 机构可能依法起诉) simply match no false_legal
phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.compliance.concepts import (
    FILLER_TOKENS,
    GAP_BLOCK,
    GLUE,
    Concept,
    Expr,
    Term,
    compile_words,
)
from auditor.compliance.numbers import inside_numeral_run
from auditor.compliance.pii import DIGITS, find_pii
from auditor.compliance.rules import Context, Rule, RuleSet
from auditor.compliance.tokens import (
    CLAUSE_SPLIT,
    Clause,
    is_han,
    person_names,
    phrase_pinyin,
    sentence_spans,
    split_clauses,
    word_freq,
)
from auditor.core.vocab import RULE_CATEGORIES

_NUMERALS = set(DIGITS) - {"X", "x", "Ｘ", "叉"}


@dataclass
class Hit:
    """One match of a rule in an utterance."""

    start: int  # offset in the utterance text
    end: int
    surface: str  # the text as written
    via: str  # word | pinyin | pattern | detector


@dataclass
class Analysed:
    """An utterance split into clauses, with canonical (pinyin-rewritten) clause texts."""

    text: str
    clauses: list[Clause]
    canon: list[str] = field(default_factory=list)
    canon_spans: list[list[tuple[int, int]]] = field(default_factory=list)
    _pii: list[Any] | None = None
    # What the rules find of one term or word class in this utterance, kept while its rules run
    # (many rules share a term): explicit here, and gone with the utterance.
    term_memo: dict[tuple[str, bool], list[tuple[int, int, str, str]]] = field(
        default_factory=dict, repr=False, compare=False)
    gap_memo: dict[tuple[int, str], list[tuple[int, int]]] = field(
        default_factory=dict, repr=False, compare=False)

    def pii(self) -> list[Any]:
        if self._pii is None:
            self._pii = find_pii(self.text)
        return self._pii


_AMOUNT = re.compile(r"[0-9零一二两三四五六七八九十百千万]+(天|元|块|号|个月|期|万)")


def _has_anchor(text: str, lo: int, hi: int, ctx: Context) -> bool:
    """A debt anchor (digit, number with a unit, anchor word) in the text outside [lo, hi)."""
    rest = text[:lo] + " " + text[hi:]
    if re.search(r"\d", rest) or _AMOUNT.search(rest):
        return True
    return any(a in rest for a in ctx.pinyin_anchors)


def _unknown_token(clause: Clause, i: int) -> bool:
    """True when the jieba word covering position i is not a dictionary word (HMM guess)."""
    tok = clause.token_at(i)
    return len(tok) > 1 and word_freq(tok) == 0


def pinyin_spans(clause: Clause, phrase: str, ctx: Context) -> list[tuple[int, int]]:
    """Spans of the clause that sound like `phrase` (toneless) and pass the false-alarm guards.

    Guards: two or more syllables; the span starts and ends on word boundaries (one end may sit
    inside a word jieba only guessed, since its guesses glue unknown characters); a span that is a
    common word needs a debt anchor in the same clause; numerals inside a numeral run never count.
    """
    syl = phrase_pinyin(phrase)
    n = len(syl)
    if n < 2:
        return []
    text = clause.text
    out: list[tuple[int, int]] = []
    for s in range(0, len(text) - n + 1):
        e = s + n
        s_ok, e_ok = s in clause.bounds, e in clause.bounds
        if not (s_ok and e_ok):
            loose = (s_ok and _unknown_token(clause, e - 1)) or (e_ok and _unknown_token(clause, s))
            if not loose:
                continue
        surface = text[s:e]
        if surface == phrase or not all(is_han(c) for c in surface):
            continue
        if not all(syl[k] in clause.readings(s + k) for k in range(n)):
            continue
        if all(c in _NUMERALS for c in surface):
            before = text[s - 1] if s > 0 else ""
            after = text[e] if e < len(text) else ""
            if before in _NUMERALS or after in _NUMERALS or before.isdigit() or after.isdigit():
                continue
        if word_freq(surface) >= ctx.common_word_freq and not _has_anchor(text, s, e, ctx):
            continue
        out.append((s, e))
    return out


def analyse(text: str, rules: RuleSet) -> Analysed:
    """Split an utterance into clauses and, with pinyin on, rewrite domain-word homophones. A
    clause that is only a discourse marker (我跟你说，…) is left out: it frames the next one."""
    marks = rules.context.discourse_markers
    clauses = [c for c in split_clauses(text) if c.text.rstrip("啊呀哈吧嘛") not in marks]
    a = Analysed(text=text, clauses=clauses)
    for c in clauses:
        chars = list(c.text)
        spans: list[tuple[int, int]] = []
        if rules.pinyin:
            for w in rules.context.domain_words:
                for s, e in pinyin_spans(c, w, rules.context):
                    if any(s < b and a_ < e for a_, b in spans):
                        continue
                    chars[s:e] = list(w)
                    spans.append((s, e))
        a.canon.append("".join(chars))
        a.canon_spans.append(spans)
    return a


def _aligned(clause: Clause, s: int, e: int) -> bool:
    phrase = clause.text[s:e]
    if phrase.isascii():
        before = clause.text[s - 1] if s > 0 else " "
        after = clause.text[e] if e < len(clause.text) else " "
        return not (before.isascii() and before.isalnum()) and not (
            after.isascii() and after.isalnum())
    s_ok, e_ok = s in clause.bounds, e in clause.bounds
    if e - s <= 2:
        return s_ok and e_ok
    return s_ok or e_ok


def _find_all(text: str, sub: str) -> Iterable[int]:
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def _a_not_a(text: str, i: int) -> bool:
    """True when the 不/没 at position i is the middle of an A-not-A question (要不要, 会不会,
    有没有, 是不是, 能不能, 可不可以): a yes/no question, not a negation (要不要给你做成海报 is a
    threat, 你女朋友那边能不能先借你点 a push)."""
    if i <= 0 or i + 1 >= len(text) or text[i] not in "不没":
        return False
    return text[i - 1] == text[i + 1] and is_han(text[i - 1])


_MASK = "\ufffc"  # stands in for the 不/没 of an A-not-A question: no negator contains it


# 没见过这么…的 ("never seen anyone this …") is an exclamation of degree, not a negation
_EXCLAMATIVE = re.compile(r"没(见过|见到过|遇到过|碰到过|遇见过|看到过|见识过)[^，。？！,.?!]{0,4}?"
                          r"(这么|这样|如此|那么|这种|这号)")


def mask_a_not_a(text: str) -> str:
    """The text with the 不/没 of every A-not-A question masked (same length), so that no
    negator (不能, 不要, 没有) is found inside 能不能, 要不要, 有没有; likewise the 没 of the
    exclamation 没见过这么厚脸皮的 (degree, not negation)."""
    if "不" not in text and "没" not in text:
        return text
    out = "".join(_MASK if _a_not_a(text, i) else ch for i, ch in enumerate(text))
    for m in _EXCLAMATIVE.finditer(text):
        out = out[:m.start()] + _MASK + out[m.start() + 1:]
    return out


def negated(text: str, s: int, ctx: Context) -> bool:
    """True when a negator governs the phrase starting at s in this clause (the 不 of an
    A-not-A question is no negator)."""
    prefix = mask_a_not_a(text)[:s]
    if prefix.endswith("不") or prefix.endswith("没"):
        return True
    for neg in ctx.negators:
        for i in _find_all(prefix, neg):
            gap = prefix[i + len(neg):]
            if len(gap) > ctx.negation_window:
                continue
            if any(b in gap for b in ctx.breakers):
                continue
            return True
    return False


def refused(text: str, s: int, ctx: Context) -> str:
    """The refusal or warning (我们不接受, 请不要相信) that governs the words starting at s in
    this clause, '' if none: its scope is the rest of the clause, unless a breaker intervenes."""
    prefix = mask_a_not_a(text)[:s]
    for ref in ctx.refusals:
        for i in _find_all(prefix, ref):
            if not any(b in prefix[i + len(ref):] for b in ctx.breakers):
                return ref
    return ""


# An echo question: the agent repeats what the listener said and asks back (您说警察上门了？).
# 说 must be followed by the echoed words, not by 得/的/吧 or a pause (你说，我们要不要去你家),
# and the question must ask back about what was said (…了？ …吗？ …是吧？), not challenge
# (你说我们去你家好不好？).
_ECHO = re.compile(r"^\s*(您|你)(是|刚才|刚刚)?说(?![得的吧呢，,：:])[^，,。！!？?]*"
                   r"(了|过|吗|么|是吗|对吗|是吧|对吧)[？?]\s*$")


_CREDIT_CLASSES = ("lender_product", "money_source")  # a credit source named: no own-goods sale
# a quote marker whose object is the speaker, then a pause (你问我，…)
_ASKED_ME = re.compile(r"我[，,、；;：:]")
# a condition on the listener's opinion (你要觉得…, 如果您认为…): it ends with its clause
_CONDITION_BEFORE = re.compile(r"(要|要是|如果|假如|若是|若|既然)(你|您)?$")


def _opinion_condition(head: str, i: int, marker: str) -> bool:
    """Whether the quote marker at ``head[i:]`` states a condition on the listener's opinion
    (你要觉得…, 要是您觉得…, 如果你认为…): the condition quotes no one beyond its own clause, and
    what follows it is the speaker's own answer to it."""
    body = marker.lstrip("你您")
    start = i + (len(marker) - len(body))
    return body.startswith(("觉得", "以为", "认为", "怀疑")) and bool(
        _CONDITION_BEFORE.search(head[max(0, i - 4):start]))


def _quoted(text: str, pos: int, ctx: Context) -> bool:
    """True when the words at pos repeat someone else's: a quote marker earlier in the
    sentence, or an echo question. A marker naming what was said as a noun phrase (你问的这个,
    您说的那件事) quotes only inside its own clause: the agent's own words follow it; so does a
    marker whose object is the speaker, ending its clause (你问我，我问谁去)."""
    for a, b in sentence_spans(text):
        if a <= pos < b:
            if _ECHO.match(text[a:b]):
                return True
            head = text[a:pos]
            for m in ctx.quote_markers:
                for i in _find_all(head, m):
                    end = i + len(m)
                    nominal = m.endswith(tuple(ctx.nominal_quote_suffix)) or \
                        head[end:].startswith(tuple(ctx.nominal_quote_suffix))
                    if nominal and ctx.nominal_quote_suffix and CLAUSE_SPLIT.search(head[end:]):
                        continue  # the noun phrase ended with its clause
                    if _ASKED_ME.match(head[end:]):
                        continue  # 你问我，…: the question is named, the agent's answer follows
                    if _opinion_condition(head, i, m) and CLAUSE_SPLIT.search(head[end:]):
                        continue  # 你要觉得我们不合规，你去告啊: the agent's own words follow
                    return True
            return False
    return False


def _ends_question(a: Analysed, clause: Clause) -> bool:
    """Whether the clause is followed by a question mark in the utterance."""
    end = clause.offset + len(clause.text)
    return a.text[end:end + 1] in ("？", "?")


def _spans_with_question(rx: re.Pattern[str], text: str, question: bool
                         ) -> list[tuple[int, int]]:
    """(start, end) of `rx` in a clause's `text`, read bare and, when the clause ends a
    question, also with its ？ after it (a pattern or member ending in ？ matches; one anchored
    with $ still matches the bare clause); a match is clipped to the clause."""
    reads = [text, text + "？"] if question else [text]
    return [(m.start(), min(m.end(), len(text))) for t in reads for m in rx.finditer(t)]


def match_rule(rule: Rule, a: Analysed, rules: RuleSet, pos: Position | None = None,
               notes: list[str] | None = None) -> list[Hit]:
    """All hits of one rule in an analysed utterance, after context checks.

    ``pos`` (from ``call_positions``) is needed by rules limited by position; ``notes``, when
    given, collects why near-misses did not count (for ``auditor rules explain``).
    """
    if rule.detector:
        return [Hit(m.start, m.end, m.masked, "detector")
                for m in a.pii() if m.kind == rule.detector]
    ctx = rules.context
    hits: list[Hit] = concept_hits(rule, a, rules, pos, notes)
    # a rule limited by position is limited in its phrases and patterns too (rules15)
    if rule.phrases or rule.patterns:
        why = _position_reason(rule, pos)
        if why or (rule.positioned and pos is None):
            if notes is not None:
                notes.append(why or "the rule needs the call around the utterance")
            return hits
    for ci, clause in enumerate(a.clauses):
        canon = a.canon[ci] if a.canon else clause.text
        variants = [(clause.text, False)]
        if "您" in clause.text:  # the polite pronoun in a rude phrase (您是猪吗): read as 你
            variants.append((clause.text.replace("您", "你"), False))
        if rules.pinyin and canon != clause.text:
            variants.append((canon, True))
        found: dict[tuple[int, int], str] = {}
        question = _ends_question(a, clause)
        for text, is_canon in variants:
            for ph in rule.phrases:
                for s in _find_all(text, ph):
                    e = s + len(ph)
                    if not _aligned(clause, s, e):
                        continue
                    if is_canon and not _touches(a.canon_spans[ci], s, e):
                        continue
                    found.setdefault((s, e), "pinyin" if is_canon else "word")
            # a pattern sees the clause's final question mark (你这是干嘛？ has no 吗)
            for pat in rule.patterns:
                for s, e in _spans_with_question(pat, text, question):
                    if e <= s or (is_canon and not _touches(a.canon_spans[ci], s, e)):
                        continue
                    found.setdefault((s, e), "pinyin" if is_canon else "pattern")
            if not is_canon:
                for s, e in _dropped_subject_spans(rule.patterns, text, question):
                    found.setdefault((s, e), "pattern")
        if rules.pinyin and rule.pinyin:
            for ph in rule.phrases:
                for s, e in pinyin_spans(clause, ph, ctx):
                    found.setdefault((s, e), "pinyin")
        found = {k: v for k, v in found.items()
                 if not inside_numeral_run(a.text, clause.offset + k[0], clause.offset + k[1])}
        if not found:
            continue
        if rule.exceptions and any(x in clause.text or x in canon for x in rule.exceptions):
            if notes is not None:
                notes.append(f"an exception cancels clause '{clause.text}'")
            continue
        for (s, e), via in sorted(found.items()):
            if rule.negatable and negated(canon, s, ctx):
                if notes is not None:
                    notes.append(f"'{clause.text[s:e]}' is negated in its clause")
                continue
            if _quoted(a.text, clause.offset + s, ctx):
                if notes is not None:
                    notes.append(f"'{clause.text[s:e]}' repeats someone else's words")
                continue
            hit = Hit(clause.offset + s, clause.offset + e, clause.text[s:e], via)
            if rule.unless:
                # per-hit exemptions apply to phrases and patterns too (a pack may add
                # unless = ["lawful"] to a phrase rule: 外访 with an appointment is no threat)
                why = _cancel_reason(rule, Candidate(hit.start, hit.end, [
                    (hit.start, hit.end, hit.surface)], via), a, rules)
                if why:
                    if notes is not None:
                        notes.append(f"'{hit.surface}' matched but {why}")
                    continue
            hits.append(hit)
    return hits


_SUBJECT_START = ("你", "您", "我", "他", "她", "它", "咱", "大家", "谁")


def _dropped_subject_spans(patterns: Sequence[re.Pattern[str]], text: str, question: bool
                           ) -> list[tuple[int, int]]:
    """Spans of patterns written with 你 as the subject in a clause that starts with no subject
    (是猪吗？ for 你是猪吗, 懂还是我懂 for 你懂还是我懂): real speech drops the pronoun, so the
    clause is read once more with 你 before it. Anchored patterns (^…) keep their own start, and
    the span must cover some of the clause's own words."""
    if not text or text.startswith(_SUBJECT_START):
        return []
    # only a match at the added 你 counts, so each pattern is tried at that one place
    # (``match``), not searched through the clause again
    reads = ["你" + text, "你" + text + "？"] if question else ["你" + text]
    out = []
    for pat in patterns:
        if pat.pattern.startswith("^"):
            continue
        for t in reads:
            m = pat.match(t)
            if m is not None and m.end() > 1:
                out.append((0, min(m.end(), len(text) + 1) - 1))  # clipped to the clause
    return out


def _touches(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def applies(rule: Rule, speaker: str) -> bool:
    """Whether a rule may fire on this speaker's words."""
    if speaker == "customer" and rule.category in RULE_CATEGORIES:
        return False
    return speaker in rule.speakers


# ----------------------------------------------------------------------------- concept rules


@dataclass
class Position:
    """Where an utterance sits in its call, for rules limited by role and position."""

    start_s: float = 0.0
    verified: bool = False  # the debtor has confirmed their identity before this utterance
    after_denial: bool = False  # someone denied being the debtor, and no later confirmation
    next_same: Analysed | None = None  # the same speaker's next utterance


@dataclass
class Candidate:
    """A concept-expression match before the context checks (for `rules explain`)."""

    start: int
    end: int
    parts: list[tuple[int, int, str]]  # (start, end, surface) of each term's words
    via: str = "concept"
    note: str = ""  # why it was cancelled ('' when it stands)


def _token_span(clause: Clause, i: int) -> tuple[int, int]:
    """(start, end) of the jieba word covering position i."""
    pos = 0
    for t in clause.tokens:
        if pos <= i < pos + len(t):
            return pos, pos + len(t)
        pos += len(t)
    return i, i + 1


# A preposition (or 把/让) and a pronoun that jieba glues onto the next word (给你爱|人, 跟他说).
_GLUED_HEAD = re.compile(r"[给跟和对让叫把找问向替帮同]?(你|您|他|她)们?")


def _glued_ok(clause: Clause, s: int, e: int, rules: RuleSet) -> bool:
    """A short member whose ends are off word boundaries still counts when jieba glued it: the
    word it cuts is only a guess (unknown to jieba's dictionary) or a member itself, the part
    of the word outside the member is one glue character (先借 + 个, 滚蛋 + 吧), or the part
    before it is a preposition and a pronoun (给你爱 + 人: 爱人 is found)."""
    text = clause.text
    # a member across a word boundary with both ends inside two real words (专员|工号 holds
    # 员工 across the boundary) is in neither word: a word that is itself a member only lends
    # its members to a span inside it (借钱 inside 借钱不还) or to one that ends on a boundary
    # (你家|人 holds 家人) (rules15)
    straddles = (s not in clause.bounds and e not in clause.bounds
                 and _token_span(clause, s) != _token_span(clause, e - 1))
    for pos, inner in ((s, s), (e, e - 1)):
        if pos in clause.bounds:
            continue
        t0, t1 = _token_span(clause, inner)
        tok = text[t0:t1]
        if e - s >= 2 and (word_freq(tok) == 0 or (tok in rules.member_words
                                                     and not straddles)):
            continue
        rest = text[t0:s] if pos == s else text[e:t1]
        if len(rest) == 1 and rest in GLUE:
            continue
        if pos == s and e - s >= 2 and 2 <= len(rest) <= 3 and _GLUED_HEAD.fullmatch(rest):
            continue  # a preposition and pronoun glued before it: 给你爱 + 人 holds 爱人
        return False
    return True


def _brand_name(word: str, rules: RuleSet) -> bool:
    """A word jieba tagged as a personal name that ends like a lender's or product's name
    (易达贷, 星辰花: class ``lender_brand_suffix``, not one of its excluded common words): a
    lender, no person."""
    con = rules.concepts.get("lender_brand_suffix")
    if con is None or word in con.context_members:
        return False
    return any(word.endswith(m) and len(word) > len(m) for m in con.members)


def _denied_duty(clause: Clause, s: int, e: int, rules: RuleSet) -> bool:
    """The span opens with a negator and is the start of a noun phrase of obligation:
    没有还|款的义务 denies a duty (a contact has none); it is no missed payment."""
    nouns = rules.context.duty_nouns
    text = clause.text
    if not nouns or text[s] not in "没不无":
        return False
    rest = text[e:e + 8]
    return any(re.match(rf"[\u4e00-\u9fff]{{0,4}}?的?{re.escape(n)}", rest) for n in nouns)


def _member_ok(clause: Clause, s: int, e: int, rules: RuleSet) -> bool:
    surface = clause.text[s:e]
    if _denied_duty(clause, s, e, rules):
        return False
    if surface.isascii():
        return _aligned(clause, s, e)
    if e - s >= 3:
        return True
    return _glued_ok(clause, s, e, rules)


_FUNCTION_CHARS = GLUE | set("不没那这是在有")
_CLASS_INDEX: dict[tuple[str, str], dict[str, list[tuple[str, bool]]]] = {}


def _class_index(rules: RuleSet, name: str) -> dict[str, list[tuple[str, bool]]]:
    """The pinyin index (first syllable -> members) of one class, built once per rule set."""
    key = (rules.version, name)
    if key not in _CLASS_INDEX:
        idx: dict[str, list[tuple[str, bool]]] = {}
        for syl, entries in rules.pinyin_index.items():
            for w, cname, strong in entries:
                if cname == name:
                    idx.setdefault(syl, []).append((w, strong))
        _CLASS_INDEX[key] = idx
    return _CLASS_INDEX[key]


def _pinyin_concept_spans(clause: Clause, name: str, with_ctx: bool,
                          rules: RuleSet) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    text = clause.text
    index = _class_index(rules, name)
    if not index:
        return out
    for s in range(len(text)):
        if s not in clause.bounds:
            continue
        for r in clause.readings(s):
            for w, strong in index.get(r, ()):
                if not strong and not with_ctx:
                    continue
                n = len(w)
                if s + n > len(text) or text[s:s + n] == w:
                    continue
                syl = phrase_pinyin(w)
                if not all(syl[k] in clause.readings(s + k) for k in range(n)):
                    continue
                if n == 2 and (set(text[s:s + 2]) & _FUNCTION_CHARS
                               or text[s:s + 2] not in clause.tokens):
                    continue  # a two-syllable homophone must be one word, not 那+不
                if s + n in clause.bounds or _unknown_token(clause, s + n - 1):
                    freq = word_freq(text[s:s + n])
                    if n == 2 and freq >= rules.context.common_word_freq:
                        continue  # an everyday two-character word (柜台, 方案) is what was said
                    if freq < rules.context.common_word_freq or \
                            _has_anchor(text, s, s + n, rules.context):
                        out.append((s, s + n))
    return out


_NAME_PART_FREQ = 3000  # a brand's head is a rare word (安顺), not an everyday one (可以, 我们)


def suffix_spans(clause: Clause, con: Concept) -> list[tuple[int, int]]:
    """Names ending in one of a suffix concept's members: an unknown jieba word (星辰花), or an
    unknown two-word span whose second word is the ending (安顺 + 分期)."""
    out: list[tuple[int, int]] = []
    pos = 0
    toks = clause.tokens
    for k, tok in enumerate(toks):
        start, pos = pos, pos + len(tok)
        if not all(is_han(c) or c.isalnum() for c in tok):
            continue
        if len(tok) >= 3 and word_freq(tok) == 0 and tok not in con.context_members and any(
                tok.endswith(m) and len(tok) > len(m) for m in con.members):
            out.append((start, pos))
        elif k > 0 and tok in con.members and len(tok) >= 2:
            prev = toks[k - 1]
            name = prev + tok
            if 2 <= len(prev) <= 4 and all(is_han(c) for c in prev) and not (set(prev) & GLUE) \
                    and word_freq(prev) < _NAME_PART_FREQ \
                    and word_freq(name) == 0 and name not in con.context_members:
                out.append((start - len(prev), pos))
    return out


# Pronouns a speaker puts inside a phrase (打断他腿, 给你点颜色): dropped like the particles.
_PRONOUN_TOKENS = frozenset({"你", "您", "他", "她", "你们", "您们", "他们", "她们"})


def squeeze(clause: Clause) -> tuple[Clause, list[int]] | None:
    """The clause with inserted particles dropped (打断了他的腿 -> 打断他腿, 借过一点钱 -> 借钱),
    and for each of its characters the position in the clause; None when nothing is dropped.

    Only whole jieba tokens are dropped (the 的 of 目的 stays), so a member matches whether or
    not the speaker put an aspect particle, 的 or a vague quantity inside it."""
    if "squeezed" in clause.memo:
        return clause.memo["squeezed"]
    kept: list[str] = []
    where: list[int] = []
    pos = 0
    dropped = False
    for t in clause.tokens:
        if (t in FILLER_TOKENS or t in _PRONOUN_TOKENS) and kept:
            dropped = True
        else:
            kept.append(t)
            where.extend(range(pos, pos + len(t)))
        pos += len(t)
    out = None
    if dropped:
        bounds, p = {0}, 0
        for t in kept:
            p += len(t)
            bounds.add(p)
        out = (Clause(text="".join(kept), offset=clause.offset, tokens=kept,
                      bounds=frozenset(bounds)), where)
    clause.memo["squeezed"] = out
    return out


def _squeezed_spans(clause: Clause, pats: list[re.Pattern[str]], rules: RuleSet
                    ) -> list[tuple[int, int]]:
    """Spans (in the clause) of matches found only once inserted particles are dropped."""
    sq = squeeze(clause)
    if sq is None:
        return []
    small, where = sq
    out = []
    for rx in pats:
        for m in rx.finditer(small.text):
            s, e = m.span()
            if e <= s or not _member_ok(small, s, e, rules):
                continue
            s0, e0 = where[s], where[e - 1] + 1
            if e0 - s0 > e - s:  # a particle was dropped inside the match
                out.append((s0, e0))
    return out


_MAX_GAP = 2  # characters of the one word a speaker inserts into a member


def gap_spans(clause: Clause, pairs: tuple[tuple[str, str], ...]) -> list[tuple[int, int]]:
    """Spans where a member is said with one short word inserted at one of its own word
    boundaries (赶紧去找人借钱 for 赶紧去借钱, 祖宗的脸全都丢尽 for 祖宗的脸都丢尽): the
    inserted text is one or two Han characters forming whole words of the clause, holds no
    negation, and both parts sit on word boundaries."""
    text, bounds = clause.text, clause.bounds
    out: list[tuple[int, int]] = []
    for head, tail in pairs:
        i = text.find(head)
        while i >= 0:
            g0 = i + len(head)
            for g1 in range(g0 + 1, min(g0 + _MAX_GAP, len(text)) + 1):
                gap = text[g0:g1]
                if not all(is_han(c) for c in gap) or set(gap) & GAP_BLOCK:
                    break
                if text.startswith(tail, g1) and {i, g0, g1} <= bounds:
                    e = g1 + len(tail)
                    if e in bounds or e == len(text):
                        out.append((i, e))
            i = text.find(head, i + 1)
    return out


def term_spans(term: Term, a: Analysed, rules: RuleSet, with_ctx: bool
               ) -> list[tuple[int, int, str, str]]:
    """(start, end, surface, via) of every word of a term in the utterance."""
    key = (term.text, with_ctx)
    cache = a.term_memo
    if key in cache:
        return cache[key]
    found: dict[tuple[int, int], tuple[str, str]] = {}
    for ci, clause in enumerate(a.clauses):
        texts = [(clause.text, "word")]
        canon = a.canon[ci] if a.canon else clause.text
        if canon != clause.text:
            texts.append((canon, "pinyin"))
        pats: list[re.Pattern[str]] = []
        for name, plus in term.concepts:
            if name in rules.concepts and rules.concepts[name].suffix:
                continue  # an ending alone (分期, 花) is no name; see suffix_spans
            rx = rules.concept_rx.get((name, with_ctx or plus))
            if rx is not None:
                pats.append(rx)
        lits = compile_words(term.literals)
        if lits is not None:
            pats.append(lits)
        question = _ends_question(a, clause)
        for text, via in texts:
            for rx in pats:
                # a member may end with ？ (干嘛？): the clause is read with its question mark
                for s, e in _spans_with_question(rx, text, question):
                    if e <= s or not _member_ok(clause, s, e, rules):
                        continue
                    if via == "pinyin" and not _touches(a.canon_spans[ci], s, e):
                        continue
                    found.setdefault((clause.offset + s, clause.offset + e),
                                     (clause.text[s:e], via))
        for s, e in _squeezed_spans(clause, pats, rules):
            found.setdefault((clause.offset + s, clause.offset + e), (clause.text[s:e], "word"))
        gaps = a.gap_memo  # a class is in many terms: found once
        for name, _ in term.concepts:
            if (ci, name) not in gaps:
                gaps[ci, name] = gap_spans(clause, rules.gaps.get(name, ()))
            for s, e in gaps[ci, name]:
                found.setdefault((clause.offset + s, clause.offset + e),
                                 (clause.text[s:e], "gap"))
        if any(name == "person_name" for name, _ in term.concepts):
            for s, e in person_names(clause.text):
                if _brand_name(clause.text[s:e], rules):
                    continue  # 易达贷 tagged as a name is a lender (rules14)
                found.setdefault((clause.offset + s, clause.offset + e),
                                 (clause.text[s:e], "name"))
        if "把" in clause.text or "将" in clause.text:
            for name, _ in term.concepts:
                rx = rules.ba_rx.get(name)
                for m in rx.finditer(clause.text) if rx is not None else ():
                    found.setdefault((clause.offset + m.start(), clause.offset + m.end()),
                                     (m.group(0), "ba"))
        for name, _ in term.concepts:
            con = rules.concepts.get(name)
            if con is not None and con.suffix:
                for s, e in suffix_spans(clause, con):
                    found.setdefault((clause.offset + s, clause.offset + e),
                                     (clause.text[s:e], "suffix"))
        if rules.pinyin:
            for name, plus in term.concepts:
                if rules.concepts.get(name) is not None and rules.concepts[name].pinyin:
                    for s, e in _pinyin_concept_spans(clause, name, with_ctx or plus, rules):
                        found.setdefault((clause.offset + s, clause.offset + e),
                                         (clause.text[s:e], "pinyin"))
    spans = [(s, e, sf, via) for (s, e), (sf, via) in sorted(found.items())
             if not inside_numeral_run(a.text, s, e)]
    cache[key] = spans
    return spans


def _sentence_of(text: str, pos: int) -> int:
    for k, (s, e) in enumerate(sentence_spans(text)):
        if s <= pos < e:
            return k
    return -1


_NEXT = 10 ** 6  # offset of words found in the same speaker's next utterance


def _joins(a: tuple[int, int], b: tuple[int, int], op: tuple[bool, str], text: str) -> bool:
    ordered, width = op
    if width == "next":
        return b[0] >= _NEXT or a[1] <= b[0]
    if b[0] >= _NEXT or a[0] >= _NEXT:
        return False
    if ordered and b[0] < a[1]:
        return False
    if width == "s":
        return _sentence_of(text, a[0]) == _sentence_of(text, b[0])
    gap = b[0] - a[1] if b[0] >= a[1] else (a[0] - b[1] if a[0] >= b[1] else 0)
    return gap <= int(width)


def expr_candidates(expr: Expr, a: Analysed, rules: RuleSet, positioned: bool,
                    pos: Position | None = None) -> tuple[list[Candidate], list[str]]:
    """Matches of an expression, and for a near-miss which terms were found and which not."""
    with_ctx = positioned  # otherwise only terms written NAME+ include context members
    per_term: list[list[tuple[int, int, str, str]]] = []
    for k, term in enumerate(expr.terms):
        spans = list(term_spans(term, a, rules, with_ctx))
        if k > 0 and expr.ops[k - 1][1] == "next" and pos is not None and pos.next_same:
            spans += [(s + _NEXT, e + _NEXT, sf, via) for s, e, sf, via in
                      term_spans(term, pos.next_same, rules, with_ctx)]
        per_term.append(spans)
    missing = [t.text for t, sp in zip(expr.terms, per_term, strict=True) if not sp]
    if missing:
        if len(missing) < len(expr.terms):
            got = [f"{t.text}: {'、'.join(dict.fromkeys(s[2] for s in sp))}"
                   for t, sp in zip(expr.terms, per_term, strict=True) if sp]
            return [], [f"'{expr.text}': found {'; '.join(got)} but nothing for "
                        f"{', '.join(missing)}"]
        return [], []
    out: list[Candidate] = []

    def walk(k: int, chain: list[tuple[int, int, str, str]]) -> None:
        if k == len(per_term):
            inside = [c for c in chain if c[0] < _NEXT]
            out.append(Candidate(min(c[0] for c in inside), max(c[1] for c in inside),
                                 [(c[0], c[1], c[2]) for c in chain],
                                 "pinyin" if any(c[3] == "pinyin" for c in chain) else "concept"))
            return
        for sp in per_term[k]:
            if any(sp[0] < c[1] and c[0] < sp[1] for c in chain):
                continue  # each term needs words of its own
            if k == 0 or _joins(chain[-1][:2], sp[:2], expr.ops[k - 1], a.text):
                walk(k + 1, [*chain, sp])
                if len(out) > 50:
                    return

    walk(0, [])
    if not out:
        return [], [f"'{expr.text}': every term found but not within "
                    f"{', '.join(('>' if o else '~') + w for o, w in expr.ops)}"]
    return out, []


def _clause_at(a: Analysed, pos: int) -> int:
    for ci, c in enumerate(a.clauses):
        if c.offset <= pos < c.offset + len(c.text):
            return ci
    return -1


def _word_before(rx: re.Pattern[str] | None, text: str) -> str:
    if rx is None:
        return ""
    m = list(rx.finditer(text))
    return m[-1].group(0) if m else ""


_RHETORICAL = re.compile(r"(不是|难道|不就|没有|不会|不能)[^，。？！]{0,10}(吗|么|嘛)$")
# 不想你家门口天天有人蹲着，就赶紧还钱: a negated wish that sets a condition for the next
# clause (不想/不愿意/不希望 … ，就/那就/最好 …) does not negate what is wished away; the clause
# names the consequence the listener is told to avoid, which is the threat itself
_CONDITIONAL_WISH = re.compile(
    r"^(如果|要是|你要是|你如果|要)?(你|您)?(还)?(不想|不愿意|不希望|不想要|不想让)")
_CONDITION_THEN = re.compile(r"^[，,]\s*(就|那就|那|那你就|你就|最好|赶紧|马上|趁早)")


_PAST_MARK = set("了过的")
_PAST_TIME = ("之前", "以前", "当时", "当初", "那时", "上个月", "上次", "去年", "前年", "原来")


def _past_reason(cand: Candidate, a: Analysed) -> str:
    """Why a match describes what already happened ('' if it does not): an aspect particle
    inside one of its words (借了一笔, 借过一笔), 的 right after a word's verb (借的一笔款, 办的
    信用卡), a particle right after its first word (借的), or a past-time word before it in its
    sentence (您之前…). Used by ``unless = ["past"]``: a statement of the existing debt is not a
    push towards new credit. A particle ending a word (先还了, 有钱了) is no sign of the past."""
    inside = [p for p in cand.parts if p[0] < _NEXT]
    if not inside:
        return ""
    for k, (s, e, sf) in enumerate(inside):
        # V了再说 (还了再说, 借了再讲) proposes an act first: no sign of the past (rules14)
        word = _PROPOSAL_LE.sub("", a.text[s:e])
        if set(word[1:-1]) & {"了", "过"} or word[1:2] == "的" and len(word) > 2 \
                or (k == 0 and a.text[e:e + 1] in _PAST_MARK):
            return f"past: '{sf}' describes what already happened"
    s = inside[0][0]
    sent = next(((x, y) for x, y in sentence_spans(a.text) if x <= s < y), (0, 0))
    w = next((t for t in _PAST_TIME if t in a.text[sent[0]:s]), "")
    return f"past: '{w}' before it" if w else ""


_PROPOSAL_LE = re.compile(r"了(?=再说|再讲|再谈|再商量|再聊)")
_ADDRESSEE_BEFORE = re.compile(r"(你|您)(的|在|这边|那边)?$")
# a potential complement (联系不上您本人, 找得到您) still aims the verb at the listener
# (and a bare resultative complement: 联系上您, 找到您; rules14)
_ADDRESSEE_AFTER = re.compile(
    r"^(不上|得上|不到|得到|上|到)?(您|你)(本人|自己|了|吧|吗|的电话|一下|[，。？！,.?!]|$)")
# a contact verb aimed at the debtor in person (我们再联系他本人, 找一下租客本人, 想联系上他本人):
# the lawful way round a third party (the collection standard: contacts only to reach the debtor)
_DEBTOR_IN_PERSON_AFTER = re.compile(
    r"^(不上|得上|不到|得到|上|到)?(一下)?(他|她|租客|借款人|当事人|客户)本人(?!的)")


def _lookup_reason(cand: Candidate, a: Analysed, rules: RuleSet, sent: tuple[int, int],
                   clause: Clause) -> str:
    """Why a 查-word is the agent looking up the account, not tracing the person ('' if not):
    a word of the hit holds 查 and its sentence names a record or a self-service channel
    (concept ``record_lookup``: 还款记录, 账单, APP里). Used by ``unless = ["lookup"]``:
    我这边查到了您的还款记录 watches no one, 我们查到你住哪了 still does."""
    if not any("查" in sf for _, _, sf in cand.parts):
        return ""
    rx = rules.concept_rx.get(("record_lookup", False))
    scope = a.text[sent[0]:sent[1]] if sent[1] > sent[0] else clause.text
    m = rx.search(scope) if rx is not None else None
    return f"lookup: '{m.group(0)}' is a record looked up" if m else ""


def _payday_reason(cand: Candidate, a: Analysed, rules: RuleSet) -> str:
    """Why a workplace word is only the listener's employer paying them ('' if not): it is
    followed at once by a payday word (concept ``payday``: 您公司发工资是几号, 单位几号发薪).
    Part of ``unless = ["addressee"]``: planning a repayment around the debtor's own payday
    tells their workplace nothing."""
    people = rules.concept_rx.get(("workplace", True))
    pay = rules.concept_rx.get(("payday", False))
    if people is None or pay is None:
        return ""
    for s, e, sf in cand.parts:
        if s < _NEXT and people.fullmatch(sf):
            m = pay.search(a.text[e:e + 6])  # 公司发工资, 单位几号发薪
            if m:
                return f"addressee: '{sf}' pays the listener ('{m.group(0)}')"
    return ""


def _addressee_reason(cand: Candidate, a: Analysed) -> str:
    """Why the words are about the listener's own debt or contacts ('' if not): the last word
    comes right after 你/您 (家人知道您借款, 提醒您还款日), is aimed at the listener
    (只联系您本人, 我们就直接联系您了) or at the debtor in person (我们再联系他本人).
    Used by ``unless = ["addressee"]``: telling the debtor about their own debt is no disclosure,
    while 你老公欠了我们 (the family member owes) still counts."""
    inside = sorted(p for p in cand.parts if p[0] < _NEXT)
    if not inside:
        return ""
    s, e, sf = inside[-1]
    sent = next(((x, y) for x, y in sentence_spans(a.text) if x <= s < y), (0, len(a.text)))
    if _ADDRESSEE_BEFORE.search(a.text[sent[0]:s]) or _ADDRESSEE_AFTER.match(a.text[e:sent[1]]):
        return f"addressee: '{sf}' is the listener's own"
    if _DEBTOR_IN_PERSON_AFTER.match(a.text[e:sent[1]]):
        return f"addressee: '{sf}' is aimed at the debtor in person"
    return ""


# The speaker's own side: 我们领导, 我的同事, 咱们公司的主管 (possibly with 这边/公司/的 between)
# ... or the speaker's own role in a self-introduction (我是您的客户经理张伟; rules14)
_OWN_SIDE_BEFORE = re.compile(
    r"((我们|咱们|我|我司|本公司)(的)?(公司|单位|部门|这边|团队)?(的)?"
    r"|我是(?:您|你)?的?[\u4e00-\u9fff]{0,3})$")
PEOPLE_CLASSES = ("family_member", "relative", "contacts", "workplace", "school_community")


def _privacy_reason(a: Analysed, rules: RuleSet) -> str:
    """The agent's promise of privacy in the same utterance (concept ``privacy_promise``: 我们只
    跟您本人沟通, 不会告诉您家人), with no contrast after it (class ``contrast_marker``: …，但是
    …): the question about the listener's wish that others not know is empathy, not leverage.
    Used by ``unless = ["privacy"]`` (rules15)."""
    rx = rules.concept_rx.get(("privacy_promise", False))
    contrast = rules.concept_rx.get(("contrast_marker", False))
    if rx is None:
        return ""
    for m in rx.finditer(a.text):
        if contrast is None or not contrast.search(a.text[m.end():]):
            return f"privacy: '{m.group(0)}' promises to tell no one"
    return ""


def _own_side_reason(cand: Candidate, a: Analysed, rules: RuleSet) -> str:
    """Why the people named are the speaker's own ('' if not): a word of a people class
    (family, relatives, contacts, workplace, school) right after 我们/我的/咱们 (我去问一下我们
    领导, 我跟我的主管确认一下). Used by ``unless = ["own_side"]``: the agent consulting their
    own boss tells the debtor's people nothing."""
    people = [rx for rx in (rules.concept_rx.get((c, True)) for c in PEOPLE_CLASSES) if rx]
    inside = [p for p in cand.parts if p[0] < _NEXT]
    named = [(s, e, sf) for s, e, sf in inside if any(rx.fullmatch(sf) for rx in people)]
    if named and all(_OWN_SIDE_BEFORE.search(a.text[max(0, s - 8):s]) for s, _, _ in named):
        return f"own side: '{named[0][2]}' is the speaker's own"
    return ""


def subsumed_by(category: str, spans: Sequence[tuple[int, int]],
                line: Sequence[tuple[str, Sequence[tuple[int, int]]]],
                subsumed: Sequence[tuple[str, str]]) -> str:
    """The more specific category that already covers a hit on the same line ('' if none).

    ``subsumed`` holds (general, specific) pairs (context.toml); ``line`` is every category
    raised on the line with its hits' (start, end). A ``category`` hit whose every span lies
    inside a hit of its specific category is one act raised twice (上门 inside 警察很快就会上门
    抓你 is the false legal claim); a hit reaching beyond those words stands."""
    for general, specific in subsumed:
        if general != category or not spans:
            continue
        covered = [c for cat, sps in line if cat == specific for c in sps]
        if covered and all(any(c[0] <= a and b <= c[1] for c in covered) for a, b in spans):
            return specific
    return ""


def _conditional_wish(a: Analysed, ci: int) -> bool:
    """Whether clause ci is a negated wish that conditions the next clause (不想…，就…)."""
    clause = a.clauses[ci]
    if not _CONDITIONAL_WISH.match(clause.text):
        return False
    end = clause.offset + len(clause.text)
    return bool(_CONDITION_THEN.match(a.text[end:end + 6]))


# Classes whose claims are false however they are hedged (their descriptions in concepts.toml
# say so): a lawful-notice frame (可能会, 有权) before them exempts nothing.
_NEVER_LAWFUL = ("always_false_claim", "legal_process_criminal")
# The creditor's own side as the subject of a power (我们有权…): no lender may freeze or seize.
_OWN_POWER = re.compile(r"(我们|我司|我方|平台|公司|我们公司|我们这边|我这边)(也|都|就|是)?$")


def _never_lawful(cand: Candidate, rules: RuleSet, before: str, frame: str) -> bool:
    """Whether a lawful-notice frame cannot cover this candidate: one of its words is of a
    class that is never lawful (我们有权直接把钱划走, 可能会被列入黑名单), or the frame gives
    the creditor's own side a power of seizure (我们有权冻结你的微信) that only a court has."""
    def of(name: str, part: tuple[int, int, str]) -> bool:
        rx = rules.concept_rx.get((name, True))
        return rx is not None and rx.fullmatch(part[2]) is not None

    parts = [p for p in cand.parts if p[0] < _NEXT]
    if any(of(n, p) for n in _NEVER_LAWFUL for p in parts):
        return True
    at = before.rfind(frame)
    return at >= 0 and _OWN_POWER.search(before[:at]) is not None and \
        any(of("freeze_action", p) for p in parts)


def _statute(scope: str, rules: RuleSet) -> str:
    """The ``statute_condition`` word of a sentence that explains when the law applies (恶意透支
    情节严重的可能涉及刑事责任, 如果经催收仍不还款，依法可能…): a condition of the law, a hedge
    (a lawful-notice frame or a hypothetical marker), and no claim that the listener meets it
    (``listener_claim``: 你这属于, 你已经). '' otherwise: 你这属于恶意透支，可能要判刑 stands."""
    def find(name: str) -> str:
        rx = rules.concept_rx.get((name, False))
        m = rx.search(scope) if rx is not None else None
        return m.group(0) if m else ""

    cond = find("statute_condition")
    if not cond or find("listener_claim"):
        return ""
    return cond if find("lawful_notice_frame") or find("hypothetical_marker") else ""


def _joint_plan(cand: Candidate, a: Analysed, rules: RuleSet, sent: tuple[int, int]) -> str:
    """The ``joint_plan_frame`` word (一起商量, 一起想办法) between the hit's people and debt
    words when its first word is the listener's own (您爱人, 你家里人): 您爱人方便的话可以一起
    商量还款计划 invites the debtor's family to plan with the debtor, it tells them nothing.
    '' otherwise."""
    rx = rules.concept_rx.get(("joint_plan_frame", False))
    if rx is None or not cand.parts or cand.parts[0][0] >= _NEXT:
        return ""
    s0 = cand.parts[0][0]
    # rules14: the listener consulting them (您跟家里人商量一下还款计划): 你/您 + 跟/和/同 before
    # the people, a verb of consulting (consult_frame) between them and the debt words
    with_listener = _WITH_LISTENER.search(a.text[max(sent[0], s0 - 6):s0])
    if a.text[max(sent[0], s0 - 1):s0] not in ("你", "您") and \
            a.text[max(sent[0], s0 - 2):s0] not in ("你的", "您的") and not with_listener:
        return ""
    # between the people and the debt words: 你老公欠我们的钱，你们一起想办法 names whose debt
    # it is first, and that is the disclosure
    m = rx.search(a.text, cand.parts[0][1], cand.parts[-1][0])
    consult = rules.concept_rx.get(("consult_frame", False))
    if m is None and with_listener and consult is not None:
        m = consult.search(a.text, cand.parts[0][1], cand.parts[-1][0])
    return m.group(0) if m else ""


# the listener as the one who consults (您跟, 你和…的): 您跟家里人, 你和你爱人
_WITH_LISTENER = re.compile(r"(你|您)(可以|也可以|先|再|多)?(跟|和|同)(你|您)?的?$")


def _cancel_reason(rule: Rule, cand: Candidate, a: Analysed, rules: RuleSet) -> str:
    """Why a candidate does not count ('' when it stands): negation, hypothetical, lawful."""
    ci = _clause_at(a, cand.start)
    if ci < 0:
        return ""
    clause = a.clauses[ci]
    canon = a.canon[ci] if a.canon else clause.text
    local = cand.start - clause.offset
    if _quoted(a.text, cand.start, rules.context):
        return "the sentence repeats someone else's words"
    if "negated" in rule.unless:
        # 不是有信用卡吗 is a rhetorical question (= you do have one), not a negation
        rhetorical = bool(_RHETORICAL.search(clause.text)) or _conditional_wish(a, ci)
        if not rhetorical and negated(canon, local, rules.context):
            return "negated: a negator comes before it in its clause"
        # each word is checked in its own clause (您别担心，不会影响孩子考公: 考公 is negated),
        # and a later word in the same clause too (工作人员不会上门: 会上门 follows 不)
        for ps, _, sf in cand.parts:
            pci = _clause_at(a, ps) if ps < _NEXT else -1
            if pci < 0 or (pci == ci and ps == cand.start):
                continue
            pc = a.clauses[pci]
            if _RHETORICAL.search(pc.text) or _conditional_wish(a, pci):
                continue
            if negated(a.canon[pci] if a.canon else pc.text, ps - pc.offset, rules.context):
                return f"negated: a negator comes before '{sf}' in its clause"
        inner = sorted(p for p in cand.parts if p[0] < _NEXT)
        masked = mask_a_not_a(a.text)
        for (_, e1, _), (s2, _, _) in zip(inner, inner[1:], strict=False):
            gap = masked[e1:s2]
            if CLAUSE_SPLIT.search(gap):
                continue  # a negator's scope ends with its clause
            if s2 > e1 and any(n in gap for n in rules.context.negators) and not any(
                    b in gap for b in rules.context.breakers):
                return f"negated between its words ('{gap}')"
    if "refusal" in rule.unless:
        # 我们不接受用信用卡套现还款: the agent refuses the act; each word in its own clause
        for ps, _, sf in cand.parts:
            pci = _clause_at(a, ps) if ps < _NEXT else -1
            if pci < 0:
                continue
            pc = a.clauses[pci]
            w = refused(a.canon[pci] if a.canon else pc.text, ps - pc.offset, rules.context)
            if w:
                return f"refusal: '{w}' refuses or warns against '{sf}'"
    sent = next(((s, e) for s, e in sentence_spans(a.text) if s <= cand.start < e), (0, 0))
    if "hypothetical" in rule.unless:
        w = _word_before(rules.concept_rx.get(("hypothetical_marker", True)),
                         a.text[sent[0]:cand.start])
        if w:
            return f"hypothetical: '{w}' before it"
    if "advice" in rule.unless:
        # 您可以把欠款的事跟家里人说一下: the listener is advised to tell their own family; the
        # agent tells no one. Only an advice frame earlier in the hit's own clause counts, so a
        # later clause (…，不然我们就通知你家人) still stands.
        # The frame must name the listener (您可以, not a bare 可以: 我们可以通知你家人).
        rx = rules.concept_rx.get(("advice_frame", False))
        # the frame may end inside the hit's first word (您让 + 家人知道: 让 starts the hit)
        first = min((p for p in cand.parts if p[0] < _NEXT), default=(cand.start, cand.end, ""))
        upto = local + (first[1] - first[0])
        said = [m.group(0) for m in rx.finditer(canon[:upto])] if rx is not None else []
        w = next((x for x in reversed(said) if "你" in x or "您" in x), "")
        if w:
            return f"advice: '{w}' makes the listener the one who tells"
        w = _joint_plan(cand, a, rules, sent)
        if w:
            return f"advice: the listener's own people invited to plan with them ('{w}')"
    if "remedy" in rule.unless:
        # 我不清楚，我帮您问一下: a flat denial followed (or preceded) by an offer to help in
        # the same utterance is the service lists' polite form, not a brush-off
        rx = rules.concept_rx.get(("help_offer", False))
        m = rx.search(a.text) if rx is not None else None
        if m:
            return f"remedy: '{m.group(0)}' offers help in the same utterance"
    if "own_goods" in rule.unless:
        # 家里闲置的电动车挂到二手平台卖了: the listener sells things they own on a second-hand
        # market; that money is theirs, no new credit and no exposure (concept own_goods_sale in
        # the hit's sentence)
        rx = rules.concept_rx.get(("own_goods_sale", True))
        scope = a.text[sent[0]:sent[1]] if sent[1] > sent[0] else clause.text
        m = rx.search(scope) if rx is not None else None
        # ... unless a credit source is named too (挂个商品，自己用白条买下来 is a sham sale)
        rest = rx.sub("", scope) if rx is not None else scope
        credit = [c for c in (rules.concept_rx.get((n, False)) for n in _CREDIT_CLASSES) if c]
        if m and not any(c.search(rest) for c in credit):
            return f"own goods: '{m.group(0)}' sells the listener's own things"
    if "lookup" in rule.unless:
        why = _lookup_reason(cand, a, rules, sent, clause)
        if why:
            return why
    if "addressee" in rule.unless:
        why = _addressee_reason(cand, a) or _payday_reason(cand, a, rules)
        if why:
            return why
    if "own_side" in rule.unless:
        why = _own_side_reason(cand, a, rules)
        if why:
            return why
    if "privacy" in rule.unless:
        why = _privacy_reason(a, rules)
        if why:
            return why
    if "past" in rule.unless:
        why = _past_reason(cand, a)
        if why:
            return why
    if "lawful" in rule.unless:
        before = canon[:local] + a.text[cand.start:cand.end]
        w = _word_before(rules.concept_rx.get(("lawful_notice_frame", False)), before)
        if w and not _never_lawful(cand, rules, before, w):
            return f"lawful notice: '{w}' frames it"
    if "statute" in rule.unless:
        w = _statute(a.text[sent[0]:sent[1]] if sent[1] > sent[0] else clause.text, rules)
        if w:
            return f"statute: '{w}' states the law's own condition, hedged"
    if "lawful" in rule.unless or "procedure" in rule.unless:
        # the procedure may sit in another clause of the same sentence (如需外访，我们会提前和您
        # 预约): the sentence describes how a lawful step is carried out, it does not threaten
        rx = rules.concept_rx.get(("lawful_procedure", False))
        scope = a.text[sent[0]:sent[1]] if sent[1] > sent[0] else clause.text
        m = rx.search(scope) if rx is not None else None
        if m:
            return f"lawful procedure: '{m.group(0)}' in its sentence"
    return ""


def _position_reason(rule: Rule, pos: Position | None) -> str:
    if pos is None:
        return ""
    if rule.within_first_s is not None and pos.start_s > rule.within_first_s:
        return f"after the first {rule.within_first_s} s"
    if rule.before_verification and pos.verified:
        return "the identity was already verified"
    if rule.after_denial and not pos.after_denial:
        return "no one denied being the debtor before it"
    return ""


def concept_hits(rule: Rule, a: Analysed, rules: RuleSet, pos: Position | None = None,
                 notes: list[str] | None = None) -> list[Hit]:
    """Hits of a rule's concept expressions, each checked on its own (never a whole clause)."""
    if not rule.near:
        return []
    why = _position_reason(rule, pos)
    if why or (rule.positioned and pos is None):
        if notes is not None:
            notes.append(why or "the rule needs the call around the utterance")
        return []
    hits: list[Hit] = []
    for expr in rule.near:
        cands, miss = expr_candidates(expr, a, rules, rule.positioned, pos)
        if notes is not None:
            notes.extend(miss)
        for c in cands:
            if sum(e - s for s, e, _ in c.parts) < (3 if expr.combined else 2):
                continue  # one character alone, or two single characters, is too little
            reason = _cancel_reason(rule, c, a, rules)
            surface = "+".join(p[2] for p in sorted(c.parts))
            if reason:
                if notes is not None:
                    notes.append(f"'{expr.text}' matched {surface} but {reason}")
                continue
            hits.append(Hit(c.start, c.end, surface, c.via))
    return hits


# ----------------------------------------------------------------------------- example-layer gate

def layer_support(category: str, a: Analysed, rules: RuleSet, gate: str = "member") -> list[str]:
    """The words of the line that corroborate the example layer raising `category` (empty: the
    layer may not raise it). Why: the layer reads character n-grams, which also sit inside words
    that are no insult or legal term here (坐牢固, 你老子当年); the matcher reads words on the
    boundaries jieba keeps. ``member``: a member of a word class one of the category's rules is
    built from, on a word boundary (a rule's near miss); ``pair``: two terms of one of its
    expressions found (or a one-term class expression); ``none``: no gate. Words in a sentence
    that repeats someone else's (您是说…) count for nothing, nor do words in a sentence that
    states the limits of a legal power (class ``legal_power_limit``). Stand-alone (only
    ``term_spans``, ``_quoted``, ``sentence_spans`` and the rules' expressions), so the bench can
    run it with older rules too."""
    from auditor.compliance.concepts import Term

    if gate == "none":
        return ["-"]
    # rules14: a sentence that states the limits of a legal power (律师函…没有强制执行的效力,
    # 只有法院才有权冻结) explains the law: its legal words corroborate nothing (class
    # legal_power_limit; absent from older rules, then nothing is left out)
    limit = rules.concept_rx.get(("legal_power_limit", False))
    limited = [(s, e) for s, e in sentence_spans(a.text)
               if limit is not None and limit.search(a.text[s:e])]

    def counts(pos: int) -> bool:
        return not _quoted(a.text, pos, rules.context) and \
            not any(s <= pos < e for s, e in limited)

    words: list[str] = []
    for rule in rules.rules:
        if rule.category != category or "agent" not in rule.speakers:
            continue
        for expr in rule.near:
            # words in a sentence that repeats someone else's (您是说…) corroborate nothing
            found = [[sp for sp in term_spans(t, a, rules, rule.positioned) if counts(sp[0])]
                     for t in expr.terms]
            classes = [[sp for sp in term_spans(Term(f"{t.text}#classes", t.concepts, ()), a,
                                                rules, rule.positioned) if counts(sp[0])]
                       for t in expr.terms if t.concepts]
            if not any(classes):
                continue
            if gate == "pair" and len(expr.terms) > 1 and sum(1 for f in found if f) < 2:
                continue
            words.extend(s[2] for sp in classes for s in sp)
    return list(dict.fromkeys(words))
