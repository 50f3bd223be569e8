"""Script steps of a call, judged on the evidence the words give, and the flags of their order.

Steps: greeting, self_identification, identity_verification, debt_disclosure,
consequence_notice, repayment_plan, closing. The agent's lines count (and lines whose speaker is
unsettled, which may be the agent's). Each step is found by the pack's matcher (``steps.toml``,
which a QA team's pack may extend) *or* by the recognisers below, built from the word classes of
``packs/concepts.toml``; thresholds and the few extra word lists are ``auditor/config/
evidence.toml``.

**Heard on sound.** The recogniser writes words it did not catch as others that sound alike
(工号 -> 功耗, 客服 -> 克服, 女士 -> 女师). Every recogniser below reads the line as ``heard_as``
writes it: spans sounding like a step word (toneless pinyin, the input methods' fuzzy pairs
z/zh, c/ch, s/sh, n/l, r/l, an/ang, en/eng, in/ing merged) are written as that word; numerals and
words already written right are kept.

* **Greeting**: a ``greeting`` member in the agent's first ``within_first`` turns, or a
  clause opening one of those turns that sounds nearly like a member of three syllables or more
  (all syllables but one, that one sharing its initial: 剩五号 for 上午好; ``sounds_nearly``),
  or that is such a member with one syllable more in it (上午5号: ``_one_inserted``). A first
  line that opens with one or two characters ending on a two-syllable greeting's last syllable
  (好, 也好, 1号 for 您好), then a clause break or the next step, shows no greeting and no missing
  one: the missing greeting is a ``greeting_misheard`` note (``greeting_may_hide``).
* **Self-identification**: the introduction frame (``self_intro_frame``: 我是 / 这里是 /
  我这边是 ...) followed within ``intro_span`` characters by a ``role_word``, an
  ``institution_word``, a ``lender_product`` or a lender brand (a word ending in
  ``lender_brand_suffix``: ...贷, ...花, ...分期, ...金融, ...银行); or, the frame left out, a
  clause opening with the lender and going on to a role or department (XX小贷贷后部，工号...).
  The frame alone proves nothing. Or a *staff number*: a word sounding like 工号 (or with
  both its initials and one syllable whole: 公后, 估好), then ``staff_digits`` spoken digits (a
  word between two digits on each side read as a misheard digit: 四七央零三).
* **Identity question**: a name (a common surname + one or two characters, not an everyday word)
  or a title (``title_word``: 先生, 女士, 本人; 总 / 老师 ... only after a name), then a question
  particle or ？ within ``question_span`` characters, or right after it 吧 (the ？ lost) or a
  syllable sounding like 吗 (本人卖), or in a clause a ``question_openers`` word begins (请问是X
  先生本人: the 吗 cut into the next line by the recogniser's segmenting); or 是不是 + a
  name/title; or a verification procedure (核实身份, 身份证后四位). A polite 请问您…吗 without a
  name or title is not one.
* **The reply** (the next ``reply_window`` non-agent lines) is a *denial* (``denial`` class, a third
  party naming themselves 我是他老婆, 你找谁), a *confirmation* (``confirmation`` class; its
  one-character members 是/对/嗯 only as the whole clause; the asked name repeated), a *question
  back* (decides nothing), or *unclear*: a short reply on a low-confidence line, or a short one that
  holds nothing recognisable. When no reply decides and one was unclear, the dialogue that follows
  decides: the customer engaging with the debt (我下周还, 我没钱), or the agent addressing them as
  the debtor (the asked name again, 您的 / 您在… + a debt word) confirms; a later denial denies. A
  reply that decides nothing is unclear when short, or below ``reply_confident_percent``. A reply
  the recogniser ran into an agent line (…吗？对，是我。 / 不是，我是他妈妈，我这边是…) is read from
  the leading clauses. With no question recognised at all, a first-person confirmation (我就是) in
  the other party's first replies shows it was asked and answered; a confirmation right after a
  low-confidence agent line, or an unclear reply right after one too garbled to judge a step absent
  from, makes it unclear -- if that line holds speech enough for the question
  (``question_min_syllables`` counted in its signal: a garbled 嗯 of one syllable hides none) and
  room for it (syllables lost or a question's shape: a debt heard whole, then 嗯, was assented
  to, not answered). A
  reply that talks of the debt as the speaker's own (我不是不还) is no denial. With no question
  recognised, a reply that asks back and confirms only by a one-syllable 嗯/对 (嗯，什么事？) is a
  backchannel, no sign of a question. Once the debtor has confirmed, only a strong denial (a
  ``denial`` member, a third party naming themselves) undoes it: a later name + question is a form
  of address, and 不是，我是说… a turn of speech (``_settled_denials``). The debtor's talk of the
  debt reads the pay verb also by its sound where only the verb stands (我不是部海 for 我不是
  不还, 能海六千块: ``pay_verb_heard``), so a misheard 还 makes no denial of 我不是.
  An answer that stays unclear raises no major flag (no missing_identity_verification and no
  disclosure_before_verification): only an ``info_step_unclear`` note, uncertain.
* **Closing**: a ``closing`` member in the agent's last ``closing_last_turns`` turns, or one of its
  everyday words (谢谢, 先这样) in the very last one.

**Missing steps need positive evidence.** A ``missing_*`` flag is raised only when the part of the
call where the step belongs (the first or last turns; the agent's first ``opening_turns`` for
self-identification and the identity question) holds at least ``min_*_chars`` intelligible agent
characters -- settled agent lines of confidence ``judge_confidence_percent`` or more that hold at
least ``min_chars_per_10s`` characters per ten seconds of speech -- and those hold at least
``min_confident_percent`` of the agent's characters there. When it does not, or when that part (the
first or last turns, the opening) holds a garbled agent line the step may hide in (not judgeable:
low confidence, or far fewer characters than its length; a line of an unsettled speaker that is only
a reply word, 是的, is the other party's and hides nothing; a line with fewer syllables counted in
its signal than ``question_min_syllables`` hides no identity question, nor does one whose text
holds every syllable counted in its signal (fewer than ``question_min_syllables`` lost) and has no
question's shape in it -- no ？, no clause closed by a tag such as 吧 or a 吗-like syllable, no
title on sound (``_may_hide_question``): a greeting, an introduction and a staff number misheard
leave no room for the question; for the closing, only a
garbled line after which no intelligible agent turn was heard: a close is the agent's last words),
the flag becomes an ``info_step_unclear`` note; so does a missing identity verification when a
low-confidence opening line holds the question's frame with its name or tag misheard (请问是尊隐是
吗？, 请问市民是 with its 吗？ cut into the next line, 您是X先生被人罢: ``question_framed``) and no
denial answered it (``question_misheard``); so does a missing self-identification when the
opening holds its words without their frame (``garbled_introduction``: 戴后 for 贷后, 过后 + digits
for 工号 + digits). A garbled opening without a recognised identity question leaves the disclosure
that follows unclear too. missing_identity_verification is raised on a denial, on a confident reply
that is no confirmation, or on an intelligible opening without the question; a flag resting on
low-confidence lines is raised uncertain -- the denial's line counts among them, for
missing_identity_verification and every third_party_disclosure that follows it.

**Disclosure.** An agent line matching ``debt_disclosure`` before the debtor confirmed raises
``disclosure_before_verification`` (once per call; its moment is placed by the hit's share of
the line, since the recogniser runs question, reply and debt together) -- unless an unclear
answer's question precedes it, or no question was recognised in a garbled opening, or it
follows a question whose reply was never heard (no line of the other party before the debt)
while the debtor's confirmation is known only from the dialogue after it: then an
``info_step_unclear`` note. A debt line whose match rests only on sound-alike words on a
line below ``[confidence] fuzzy_none`` is no disclosure (``evidence.sound_only_unheard``).
After a denial and before a later
confirmation it raises ``third_party_disclosure`` (per line), and also the early-disclosure
flag when ``third_party_also_early_disclosure`` is true. A call with no agent speech raises no
step flags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.compliance.evidence import (
    UNCLEAR_REPLY,
    EvidenceSettings,
    confidence_of,
    default_evidence,
    low_confidence,
    may_be_agent,
    sound_only_unheard,
    speaker_of,
    speaker_unsettled,
    utterance_flag,
)
from auditor.compliance.matching import Analysed, match_rule
from auditor.compliance.rules import RuleSet
from auditor.compliance.sounds import (
    SoundIndex,
    char_keys,
    heard_as_fuzzy,
    sounds_like,
    sounds_nearly,
    word_keys,
)
from auditor.compliance.tokens import CLAUSE_SPLIT, Clause, word_freq
from auditor.core import config
from auditor.core.config import ConfigError
from auditor.core.vocab import STEPS
from auditor.voice.speech_rate import spoken_units

# The one word-class library (the rule packs use it too).
CONCEPT_PATHS = (Path(__file__).parent / "packs" / "concepts.toml",)
# The people classes a third party names themselves by (the debtor's family, relatives,
# contacts, workplace, home and school community), as the packs' third-party rules know them.
_PEOPLE_CLASSES = ("family_member", "relative", "contacts", "workplace", "school_community")
# The word classes the steps use.
STEP_CLASSES = ("greeting", "self_intro_frame", "role_word", "institution_word", "lender_product",
                "lender_brand_suffix", "identity_question", "title_word", "question_particle",
                "confirmation", "denial", "closing", "repay_word", "promise_word", "debt_word",
                *_PEOPLE_CLASSES)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[。！!；;]+")
_PRONOUN = re.compile(r"[你您我他她它]")
UNCLEAR_NOTE = "info_step_unclear"


@dataclass(frozen=True)
class Concept:
    """One word class: members count alone, context members only with the rest of a rule."""

    members: tuple[str, ...]
    context: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.members + self.context


@lru_cache(maxsize=4)
def load_concepts(path: str | None = None) -> dict[str, Concept]:
    """The step word classes of the concept library (``packs/concepts.toml``)."""
    candidates = [Path(path)] if path else [p for p in CONCEPT_PATHS if p.exists()]
    if not candidates:
        raise ConfigError("Cannot find the word classes file compliance/packs/concepts.toml.")
    doc, found = config.parse(candidates[0])
    if doc is None:
        line, msg = found[0]
        raise ConfigError(f"Cannot read the word classes {candidates[0]}: line {line}: {msg}.")
    table = doc.data.get("concept", {})
    missing = [c for c in STEP_CLASSES if c not in table]
    if missing:
        raise ConfigError(f"The word classes {candidates[0]} lack {', '.join(missing)} "
                          f"(line {doc.locator.line_of(None)}).")
    return {name: Concept(tuple(table[name].get("members", [])),
                          tuple(table[name].get("context_members", [])))
            for name in STEP_CLASSES}


def _alt(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class Recognisers:
    """The compiled step recognisers of one set of word classes and settings."""

    vocab: dict[str, Concept]
    ev: EvidenceSettings
    frame: re.Pattern[str]
    target: re.Pattern[str]
    brand: re.Pattern[str]
    brand_exclude: tuple[str, ...]
    particle: re.Pattern[str]
    title: re.Pattern[str]
    title_ctx: re.Pattern[str]
    name: re.Pattern[str]
    procedure: tuple[str, ...]
    third_party: re.Pattern[str]
    kin_asked: re.Pattern[str]  # the asked person named as the speaker's own kin (rules15)
    lender: re.Pattern[str]
    role: re.Pattern[str]
    sound: SoundIndex  # the step words heard on sound
    staff: re.Pattern[str]
    role_sound: SoundIndex  # every role word (context members too), for a garbled introduction


_COMPILED: dict[tuple, Recognisers] = {}


def _settings_key(ev: EvidenceSettings) -> tuple:
    """The settings' content as a hashable key (equal settings share their recognisers)."""
    return (ev.low_confidence, ev.fuzzy_low_confidence, ev.fuzzy_none_confidence,
            ev.unsettled_low, ev.unsettled_high,
            tuple(sorted(ev.steps.items())), tuple(sorted(ev.words.items())))


def _recognisers(ev: EvidenceSettings) -> Recognisers:
    """The recognisers of these settings, compiled once per distinct settings content."""
    key = _settings_key(ev)
    rec = _COMPILED.get(key)
    if rec is None:
        rec = _COMPILED[key] = _compile(ev)
    return rec


def third_party_self_rx(v: Mapping[str, Concept], w: Mapping[str, Sequence[str]]
                        ) -> re.Pattern[str]:
    """A reply in which the speaker says who they are to the debtor, or where the phone was
    answered: 我是他媳妇儿 / 我是她同事 / 我是物业的 / 她是我女儿 / 这里是宏达物流前台. Why
    from the people classes and not a list of its own: real third parties name themselves by
    any relation the third-party rules know (嫂子, 合租的, 房东, 班主任). ``w`` is the evidence
    settings' [words]: ``third_party_self`` adds relations no class holds (保姆, 秘书),
    ``not_a_relation`` takes out members that name nobody in particular, ``answering_place``
    the desks and places a phone is answered at."""
    not_a_relation = set(w["not_a_relation"])
    people = {m for c in _PEOPLE_CLASSES for m in v[c].all} - not_a_relation
    rel = _alt([*people, *w["third_party_self"]])
    place = _alt([*w["answering_place"],
                  *(m for m in v["workplace"].all if m not in not_a_relation)])
    # a firm named by its name's ending (鑫达物流, 华美酒店): rules14
    firm = _alt([*w["organisation_suffix"], *w["answering_place"]])
    bare = _alt([m for m in (*people, *w["third_party_self"])
                 if m not in set(w["bare_relation_not"])])
    away = _alt(w["away_state"])
    return re.compile(
        rf"我是(?:他|她)们?(?:的|家的?|那边的?)?(?:{rel})"  # 我是他媳妇儿, 我是她家保姆
        # 我是邻居 / 我是家属: the relation with the pronoun dropped, ending its clause (rules15)
        rf"|我是(?:{bare})(?:啊|呀|嘛|的)?(?=$|[，,。？?！!\s])"
        # 她去上班了 / 他正在开车: the asked person as the subject of being away (rules15)
        rf"|(?:^|[，,。？?！!\s])(?:他|她)人?(?:现在|今天|已经|正在|刚刚|刚|在|这会儿)?(?:{away})"
        rf"|我是(?:{place})(?:的|那边的)"  # 我是人事部的
        # 我是住他对门的 / 我住她隔壁: a neighbour by where they live (rules15)
        rf"|我(?:是|就)?住(?:在)?(?:他|她)们?(?:家)?(?:{_alt(w['dwelling_position'])})"
        # 我是鑫达物流的 (a name before the ending; never 我是在…, 我是借…, 我是你们…)
        rf"|我是(?![在借欠你您])[\u4e00-\u9fff]{{1,8}}?(?:{firm})(?:的|那边的)"
        # 我跟他就是普通朋友 / 我和她是同学 / 我们是同事: the relation said of the two of them
        rf"|我(?:跟|和|与|同)(?:他|她)[^，,。？?！!不没]{{0,4}}是[^，,。？?！!不没]{{0,4}}?"
        rf"(?:{rel})"
        rf"|(?:^|[，,。？?！!\s])(?:这里|这边|这儿|我们这里|我们这边)是[^，,。？?！!]{{0,10}}?"
        rf"(?:{place}|{firm})"  # 这里是宏达物流前台, 这里是鑫达物流
        # 她是我女儿 / 周明是我老公 as a clause of its own (这笔钱是我爸借的 is no answer)
        rf"|(?:^|[，,。？?！!\s])(?:他|她|[\u4e00-\u9fff]{{2,3}})(?<![不没])是我(?:的)?(?:{rel})"
        rf"(?:儿)?(?:啊|呀|嘛)?(?=$|[，,。？?！!\s])"
        # 他是我们这的员工 / 她是我们公司的: the asked person as one of the speaker's side (rules14)
        rf"|(?:^|[，,。？?！!\s])(?:他|她)是我们(?:这|这儿|这里|这边|{place}|的)")


# the one-syllable kin words a speaker uses of their own family (我妈, 我爸, 我姐): the people
# classes hold the two-syllable forms
_SHORT_KIN = ("妈", "爸", "哥", "姐", "弟", "妹", "爷", "奶")


def kin_asked_rx(v: Mapping[str, Concept]) -> re.Pattern[str]:
    """A reply that names the asked person as the speaker's own kin (找我老公什么事, 我女儿怎么
    了, 我爸在睡觉, 我们家老李), or the phone as a relative's (这是他爸的手机): whoever speaks
    is not the debtor. Only read when the reply confirms nothing and does not engage with the
    debt, since the debtor may speak of their own family too (是我，我老婆不知道)."""
    kin = _alt(sorted({*(m for c in ("family_member", "relative") for m in v[c].members),
                       *_SHORT_KIN}))
    return re.compile(
        rf"(?<![你您他她])我(?:们家|家)?的?(?:{kin})(?!是)"
        r"|我(?:们)?家(?:老|小)[\u4e00-\u9fff]|我(?:们)?家那(?:口子|位)"
        rf"|这是(?:他|她)?的?(?:{kin})的?(?:手机|电话|号码|号)")


def _compile(ev: EvidenceSettings) -> Recognisers:
    v = load_concepts()
    titles, particles = v["title_word"], v["question_particle"]
    procedure = tuple(m for m in v["identity_question"].members
                      if not any(t in m for t in titles.all)
                      and not any(p in m for p in particles.members))
    parts = [re.escape(p) for p in particles.members if p not in ("么",)]
    particle = re.compile("|".join([*parts, r"(?<![什怎那这多要])么", r"[？?]"]))
    w = ev.words
    return Recognisers(
        vocab=v, ev=ev,
        frame=re.compile(_alt(v["self_intro_frame"].all)),
        target=re.compile(_alt([*v["role_word"].all, *v["institution_word"].all,
                                *v["lender_product"].members])),
        brand=re.compile(rf"^(?:来自|代表)?([\u4e00-\u9fffA-Za-z0-9]{{1,6}}?(?:"
                         rf"{_alt(v['lender_brand_suffix'].members)}))(?=$|的|[，,。．\s]|"
                         rf"{_alt([*v['role_word'].all, *v['institution_word'].all])})"),
        brand_exclude=v["lender_brand_suffix"].context,
        particle=particle,
        title=re.compile(_alt(titles.members)),
        title_ctx=re.compile(_alt(titles.context)),
        name=re.compile(rf"(?:{_alt(w['surnames'])})[\u4e00-\u9fff]{{1,2}}"),
        procedure=procedure,
        third_party=third_party_self_rx(v, w),
        kin_asked=kin_asked_rx(v),
        lender=re.compile(rf"(?:[\u4e00-\u9fff]{{0,6}}?(?:{_alt(v['institution_word'].members)})|"
                          rf"{_alt(v['lender_product'].members)})"),
        role=re.compile(rf"{_alt(v['role_word'].all)}|工号|[\u4e00-\u9fff]{{1,4}}部(?![分门])"),
        sound=SoundIndex.of([w for c in SOUND_CLASSES for w in v[c].members]),
        staff=re.compile(rf"工号(?:是)?[^{_DIGIT}]{{0,2}}?[{_DIGIT}](?:[{_DIGIT}\s\-—.]*?[{_DIGIT}])"
                         rf"{{{ev.steps['staff_digits'] - 1},}}"),
        role_sound=SoundIndex.of(list(v["role_word"].all)),
    )


# ----------------------------------------------------------------------------- heard on sound
# The recogniser writes a word it did not catch as another one that sounds alike (工号 -> 功耗,
# 客服 -> 克服, 女士 -> 女师, 贷后 -> 戴后). The step words (of these classes) are therefore also
# found by fuzzy toneless pinyin and written back into a copy of the line the recognisers read
# (``heard_as``); the one owner of "sounds like" is ``auditor.compliance.sounds``.
SOUND_CLASSES = ("self_intro_frame", "role_word", "institution_word", "title_word",
                 "identity_question", "confirmation", "denial")
_DIGIT = "0-9零〇一二三四五六七八九幺两"
_STAFF_WORD = "工号"


def heard_as(text: str, rec: Recognisers) -> str:
    """The line with every span that sounds like a step word written as that word (fuzzy pinyin,
    ``auditor.compliance.sounds.heard_as_fuzzy``; cached there)."""
    return heard_as_fuzzy(text, rec.sound)


def _loosely_staff_word(a: str, b: str) -> bool:
    """Two characters that sound like 工号 with a syllable's final lost (公后, 估好, 勾号): both
    initials agree and at least one syllable agrees whole."""
    want = word_keys(_STAFF_WORD)
    ka, kb = char_keys(a), char_keys(b)
    inits = (any(k[0] == want[0][0] for k in ka) and any(k[0] == want[1][0] for k in kb))
    return inits and (want[0] in ka or want[1] in kb)


# one character misheard inside a digit string read out (四七央零三 for 四七幺零三, 零八次三三):
# two digits on each side of it say it was a digit too
_DIGIT_INSIDE = re.compile(rf"(?<=[{_DIGIT}]{{2}})[\u4e00-\u9fff](?=[{_DIGIT}]{{2}})")


def digit_misheard_inside(text: str) -> str:
    """`text` with each Han character that stands between two digits on either side written as
    〇, a digit of unknown value: the recogniser wrote a digit of the string as another word.
    Same length as `text`."""
    return _DIGIT_INSIDE.sub("〇", text)


def staff_number(text: str, rec: Recognisers) -> bool:
    """The agent gives a staff number: a word sounding like 工号, then a spoken digit string (one
    of its digits may be misheard inside it: ``digit_misheard_inside``)."""
    heard = digit_misheard_inside(heard_as(text, rec))
    if rec.staff.search(heard):
        return True
    for m in re.finditer(r"(?=([\u4e00-\u9fff])([\u4e00-\u9fff]))", heard):
        if _loosely_staff_word(m.group(1), m.group(2)) and rec.staff.match(
                _STAFF_WORD + heard[m.start() + 2:]):
            return True
    return False


_NUMERALS = str.maketrans("0123456789", "零一二三四五六七八九")


def greets(text: str, rec: Recognisers) -> bool:
    """The line greets: a ``greeting`` member in it, or a first clause that sounds nearly like
    one of three syllables or more (剩五号 for 上午好: a greeting heard with one final lost, in
    the place a greeting stands), also as the head of that clause when the recogniser ran the
    greeting into what follows (向5号麻烦确认…: digits read as the numerals they were)."""
    members = rec.vocab["greeting"].members
    if any(g in text for g in members):
        return True
    first = next((c for c in CLAUSE_SPLIT.split(text) if c), "").translate(_NUMERALS)
    # the recogniser often writes no comma after the greeting (向5号麻烦确认一下…): the
    # greeting is then the head of the first clause, a numeral in it written as a digit; the
    # head must end on the greeting's own last syllable (上午还款 is no 上午好)
    return any(sounds_nearly(first, g) or _one_inserted(first, g) or (
        len(first) > len(g) and sounds_nearly(first[: len(g)], g)
        and word_keys(g)[-1] in char_keys(first[len(g) - 1])) for g in members)


_OPENING_BREAK = "，,。.！!？?、…"


def greeting_may_hide(text: str, rec: Recognisers) -> bool:
    """The agent's first line opens with one or two characters ending on the last syllable of a
    two-syllable greeting (好 of 您好 / 你好, heard as 好, 也好, 1号), then a clause break or the
    next step (an identity question, a self-introduction): a greeting with its first syllable
    lost or misheard, in the place a greeting stands. Too little to say it was made; enough
    that its absence is not shown, so a missing greeting there is a note, not a flag."""
    lasts = {word_keys(g)[-1] for g in rec.vocab["greeting"].members
             if len(g) == 2 and len(word_keys(g)) == 2}
    body = text.lstrip(" " + _OPENING_BREAK)
    for k in (1, 2):
        head, rest = body[:k], body[k:].lstrip()
        if len(head) < k or not char_keys(head[-1]) & lasts:
            continue
        if (not rest or rest[0] in _OPENING_BREAK or identity_question(rest, rec)[0]
                or self_identifies(rest, rec)):
            return True
    return False


def _one_inserted(clause: str, word: str) -> bool:
    """The clause is `word` (three syllables or more) said whole with one syllable more in it:
    the recogniser doubled a syllable or wrote one as a digit beside it (上午5号 for 上午好) --
    every syllable of the word heard, in order, on toneless pinyin."""
    keys = word_keys(word)
    if len(word) < 3 or len(keys) != len(word) or len(clause) != len(word) + 1:
        return False
    return any(all(k in char_keys(c) for c, k in zip(clause[:i] + clause[i + 1:], keys,
                                                       strict=True))
               for i in range(len(clause)))


def _han_count(text: str) -> int:
    return len(_HAN.findall(text))


def _brand_at(window: str, rec: Recognisers) -> re.Match[str] | None:
    b = rec.brand.match(window)
    if b and not _PRONOUN.search(b.group(1)) and not any(
            b.group(1).endswith(x) for x in rec.brand_exclude):
        return b
    return None


def self_identifies(text: str, rec: Recognisers) -> bool:
    """The agent names who they call for.

    Either the introduction frame followed by a role, institution, lender or lender brand; or a
    clause that opens with the lender (a brand, a lender's name or an institution) and goes on
    to a role or department (…贷后部, …客服中心, 工号): the frame is often left out.
    """
    span = rec.ev.steps["intro_span"]
    text = heard_as(text, rec)
    if staff_number(text, rec):
        return True
    for m in rec.frame.finditer(text):
        window = text[m.end(): m.end() + span]
        if rec.target.search(window) or _brand_at(window, rec):
            return True
    for clause in CLAUSE_SPLIT.split(text):
        for head in (_brand_at(clause, rec), rec.lender.match(clause)):
            if head and rec.role.search(clause[head.end(): head.end() + span]):
                return True
    return False


def garbled_introduction(text: str, rec: Recognisers) -> bool:
    """Words of a self-introduction without the frame they were recognised in: a role word heard
    on sound (戴后 for 贷后), or two characters with 工号's initials before a spoken digit string
    (过后 5-5-899). Not enough to say the agent introduced themselves; enough to say it may be
    in the line, garbled, so its absence is not judged."""
    heard = heard_as_fuzzy(text, rec.role_sound)
    if any(w in heard for w in rec.role_sound.words):
        return True
    heard = digit_misheard_inside(heard)
    want = word_keys(_STAFF_WORD)
    for m in re.finditer(r"(?=([\u4e00-\u9fff])([\u4e00-\u9fff]))", heard):
        if (any(k[0] == want[0][0] for k in char_keys(m.group(1)))
                and any(k[0] == want[1][0] for k in char_keys(m.group(2)))
                and rec.staff.match(_STAFF_WORD + heard[m.start() + 2:])):
            return True
    return False


def _names(text: str, rec: Recognisers) -> list[tuple[int, int, str]]:
    """(start, end, name) of every possible name: surname + given name, not an everyday word."""
    out = []
    limit = rec.ev.steps["name_max_freq"]
    for i in range(len(text)):
        for n in (2, 3, 4):
            cand = text[i:i + n]
            if (len(cand) == n and rec.name.fullmatch(cand) and word_freq(cand) < limit
                    and not _PRONOUN.search(cand[1:])):
                out.append((i, i + n, cand))
    return out


_TAG = re.compile(r"(?:本人)?(吧|[\u4e00-\u9fff])")
_CLAUSE_END = re.compile(r"$|[，,。．.！!？?；;\s]")


def _tag_after(rest: str) -> bool:
    """A name or title closed as a question the recogniser wrote otherwise: 吧 right after it
    (您是X女士本人吧, the ？ lost), or a syllable that sounds like 吗/么 (m + a/ai/e/o: 本人卖);
    one that closes the clause may also carry a nasal or glide the recogniser added to the ma
    (m + an/ang/ao: 本人蔓。), as a question tag is the last syllable of its clause."""
    m = _TAG.match(rest)
    if not m:
        return False
    if m.group(1) == "吧":
        return True
    keys = char_keys(m.group(1))
    if any(k[0] == "m" and k[1] in ("a", "ai", "e", "o") for k in keys):
        return True
    return bool(_CLAUSE_END.match(rest, m.end())) and any(
        k[0] == "m" and k[1] in ("an", "ang", "ao") for k in keys)


def _opened_as_question(sentence: str, end: int, rec: Recognisers) -> bool:
    """A name or title (ending at `end`) after a question opener in its clause (请问是X先生本人,
    晚上好请问这是X女士的电话): the opener makes it the question, whatever follows -- the
    recogniser ends its lines on pauses, so a closing 吗 is often cut into the next line or
    lost. The name must end within ``question_span`` + 4 characters of the opener."""
    clause_start = max((m.end() for m in CLAUSE_SPLIT.finditer(sentence, 0, end)), default=0)
    head = sentence[clause_start:end]
    limit = rec.ev.steps["question_span"] + 4
    for o in rec.ev.words["question_openers"]:
        i = head.rfind(o)
        if i >= 0 and len(head) - (i + len(o)) <= limit:
            return True
    return False


def identity_question(text: str, rec: Recognisers) -> tuple[bool, str | None]:
    """Whether an agent line asks who is on the line, and the name it asks for (if any)."""
    span = rec.ev.steps["question_span"]
    text = heard_as(text, rec)
    if any(p in text for p in rec.procedure):
        return True, None
    for sentence in _SENTENCE.split(text):
        heads: list[tuple[int, str | None]] = []
        for s, e, name in _names(sentence, rec):
            after = sentence[e:]
            t = rec.title.match(after) or rec.title_ctx.match(after)
            if t:
                heads.append((e + t.end(), name))
            elif rec.particle.match(after) or sentence[max(0, s - 1):s] == "是":
                heads.append((e, name))
        for t in rec.title.finditer(sentence):
            heads.append((t.end(), None))
        for end, name in heads:
            if _tag_after(sentence[end:]):
                return True, name
            if _opened_as_question(sentence, end, rec):
                return True, name
            if rec.particle.search(sentence[end: end + span + 3]):
                window = sentence[end: end + span + 3]
                pm = rec.particle.search(window)
                if pm and pm.start() <= span:
                    return True, name
        if "是不是" in sentence:
            rest = sentence[sentence.index("是不是") + 3:][: span + 4]
            if rec.title.search(rest) or _names(rest, rec):
                return True, None
    return False, None


def classify_reply(u: Mapping[str, Any] | str, rules: RuleSet, rec: Recognisers | None = None,
                   name: str | None = None) -> str | None:
    """'deny', 'confirm', 'question', 'unclear' or None (decides nothing) for one reply.

    `u` is the reply utterance (its confidence counts) or just its text (confident). Words are
    also recognised on sound (``heard_as``). A reply that talks about the debt as the speaker's
    own (我不是不还, 我下周还) is no denial, whatever negation it holds; a denial is read on the
    words as written only. A reply that decides
    nothing is unclear when short, or when its confidence is below ``reply_confident_percent``
    whatever its length: one misheard word of it may be the answer.
    """
    if isinstance(u, str):
        u = {"text": u}
    rec = rec or _recognisers(default_evidence())
    text = str(u.get("text", "") or "").strip()
    heard = heard_as(text, rec)
    v, w = rec.vocab, rec.ev.words
    short = _han_count(text) <= rec.ev.steps["short_reply_chars"]
    low = low_confidence(u, rec.ev)
    # a denial only on the words as written: a third party read into a misheard line would
    # raise third-party disclosures on every later line
    said = own_state_blanked(text, rec)
    denies = (any(d in said for d in (*v["denial"].members, *w["denial_extra"]))
              or rec.third_party.search(said)
              or any(p.search(said) for p in rules.verification.deny))
    if denies and (rec.third_party.search(text) or not engages_with_debt(text, rec)):
        return "deny"
    clauses = [c for c in CLAUSE_SPLIT.split(heard) if c]
    confirms = any(m in c for c in clauses for m in v["confirmation"].members)
    if not confirms and not engages_with_debt(text, rec) and (
            any(t in said for t in w["third_person"]) or rec.kin_asked.search(said)):
        # the asked person spoken of in the third person (rules14) or as the speaker's own
        # kin (rules15)
        return "deny"
    if confirms:
        return "confirm"
    single = set(v["confirmation"].context) & {"是", "对", "嗯", "恩"}
    # one syllable misheard is the commonest error: a short low-confidence 是/对/嗯 proves nothing
    if not (short and low):
        for c in clauses:
            if any(p.search(c) for p in rules.verification.confirm) or (c and set(c) <= single):
                return "confirm"
    if any(q in text for q in w["question_back"]):
        # 是我，什么事？ is the commonest answer: on a low-confidence line the rest of a reply
        # that asks back may be the misheard confirmation (轮起我，什么事), so it is unclear;
        # a question back alone (什么事？, 嗯，哪位？) holds nothing else to mishear
        rest = text
        for q in w["question_back"]:
            rest = rest.replace(q, "")
        others = _han_count(re.sub(r"[嗯哦啊呃喂诶哎]", "", rest))
        return "unclear" if low and others else "question"
    if short and low:
        return "unclear"
    if name and name in text:
        return "confirm"
    if short or low or confidence_of(u) * 100 < rec.ev.steps["reply_confident_percent"]:
        return "unclear"
    return None


_SUM_START = re.compile(r"[0-9零一二两三四五六七八九十百千万]")


def pay_verb_heard(text: str) -> str:
    """`text` with a character that sounds like the pay verb 还 (海, 孩: hai) written as 还 where
    only the verb can stand: right before a sum (能海六千块) or right after a 不 (不还 heard as
    部海, the 不 written as 不 too). One syllable is too weak alone (``sounds_like``); its slot
    says what it is, as the outcome's promise reading takes it. Same length as `text`."""
    chars = list(text)
    starts: frozenset[int] | None = None
    for i, ch in enumerate(text):
        if ch == "还" or not sounds_like(ch, "还"):
            continue
        before = text[i - 1] if i else ""
        after_not = bool(before) and (before == "不" or sounds_like(before, "不"))
        if not (after_not or _SUM_START.match(text, i + 1)):
            continue
        if starts is None:
            starts = Clause.make(text).bounds  # where jieba's words start and end
        if i not in starts and not after_not:
            continue  # the end of a word (上海2号线): no verb
        chars[i] = "还"
        if after_not and before != "不":
            chars[i - 1] = "不"
    return "".join(chars)


def engages_with_debt(text: str, rec: Recognisers) -> bool:
    """The customer talks about the debt as their own (我下周还, 我没钱, 分期还), the pay verb
    also as heard in its slot (我不是部海 for 我不是不还: ``pay_verb_heard``)."""
    v, w = rec.vocab, rec.ev.words
    text = pay_verb_heard(text)
    return (any(x in text for x in (*v["repay_word"].members, *v["promise_word"].members,
                                    *w["engagement"]))
            or bool(re.search(r"我.{0,6}还(?!没|不是|有)", text))
            or bool(re.search(r"不是.{0,4}不还", text)))  # "not that I won't pay"


def addresses_as_debtor(text: str, name: str | None, rec: Recognisers) -> bool:
    """The agent speaks to the person as the debtor: the asked name again, a surname + title
    opening the line, or the debt stated as theirs (您的…借款, 您在…的贷款, 您尾号…的信用卡)."""
    text = heard_as(text, rec)
    if name and name in text:
        return True
    surname_title = re.search(rf"(?:{_alt(rec.ev.words['surnames'])})"
                              rf"(?:{_alt(rec.vocab['title_word'].all)})", text)
    if surname_title and surname_title.start() <= 1:
        return True
    return bool(re.search(rf"(?:您|你)(?:的|在|尾号).{{0,12}}?"
                          rf"(?:{_alt(rec.vocab['debt_word'].members)})", text))


@dataclass
class Answer:
    """The other party's answer to one identity question."""

    question: int  # index of the agent's question utterance
    reply: int | None  # index of the deciding reply (None: no reply seen)
    time: float  # when the answer was given
    result: str  # confirm | deny | unclear
    inferred: bool = False  # decided by the dialogue that followed


def _start(u: Mapping[str, Any]) -> float:
    return float(u.get("start", 0.0) or 0.0)


def find_answers(utts: Sequence[Mapping[str, Any]], questions: list[int], rules: RuleSet,
                 rec: Recognisers, names: Mapping[int, str | None]) -> list[Answer]:
    """The answers given to the agent's identity questions, in time order.

    The replies (the next ``reply_window`` lines of the other party, before the next question)
    decide when one is a confirmation or a denial. After an unclear reply the dialogue that
    follows (``follow_turns`` lines) decides: the agent addressing them as the debtor or the
    customer engaging with the debt confirms, a later denial denies; else the answer stays
    unclear. No reply heard at all (lost, or run into the agent's line) is unclear when the
    lines after the question are low-confidence or of an unsettled speaker. A confident reply
    that decides nothing, with nothing unclear before it, is no answer.
    """
    answers: list[Answer] = []
    has_other = any(speaker_of(u) != "agent" for u in utts)
    qset = set(questions)
    window, follow = rec.ev.steps["reply_window"], rec.ev.steps["follow_turns"]
    for q in questions:
        if not has_other:
            # no other party heard: taken as answered right after the question was said (in a
            # line that runs question and debt together, the debt came after it)
            answers.append(Answer(q, None, _question_said(utts[q], rec), "confirm"))
            continue
        name = names.get(q)
        seen, unclear = 0, None
        found = _run_in_reply(utts, q, rules, rec, name)
        for j in range(q + 1, len(utts) if found is None else 0):
            if j in qset or (unclear is not None and j - unclear > follow):
                break
            u, text = utts[j], str(utts[j].get("text", "") or "")
            if speaker_of(u) == "agent":
                if unclear is not None and addresses_as_debtor(text, name, rec):
                    found = Answer(q, unclear, _start(utts[unclear]), "confirm", inferred=True)
                    break
                continue
            if seen < window:
                seen += 1
                result = classify_reply(u, rules, rec, name)
                if result in ("confirm", "deny"):
                    # a confirmation after an unclear reply: that reply was most likely the answer
                    when = _start(utts[unclear]) if unclear is not None and result == "confirm" \
                        else _start(u)
                    found = Answer(q, j, when, result, inferred=unclear is not None)
                    break
                if result == "unclear" and unclear is None:
                    unclear = j
                    continue
            if unclear is None:
                if seen >= window:
                    break
                continue
            if low_confidence(u, rec.ev):
                continue
            result = classify_reply(u, rules, rec, name)
            if result == "deny":
                found = Answer(q, unclear, _start(utts[unclear]), "deny", inferred=True)
                break
            if result == "confirm" or engages_with_debt(text, rec):
                found = Answer(q, unclear, _start(utts[unclear]), "confirm", inferred=True)
                break
        if found is None and unclear is not None:
            found = Answer(q, unclear, _start(utts[unclear]), "unclear")
        if found is None and not seen and any(
                low_confidence(u, rec.ev) or speaker_unsettled(u, rec.ev)
                for u in utts[q: q + 2]):
            found = Answer(q, None, float(utts[q].get("end", 0.0) or 0.0), "unclear")
        if found is not None:
            answers.append(found)
    return answers


def _question_said(u: Mapping[str, Any], rec: Recognisers) -> float:
    """When the identity question of the agent line `u` was said: the end of its first
    sentence that asks (``identity_question``), placed by its share of the line
    (``_said_at``); the line's end when no one sentence asks alone."""
    text = str(u.get("text", "") or "")
    pos = 0
    for m in re.finditer(r"[^。！!？?；;]+[。！!？?；;]*", text):
        pos = m.end()
        if identity_question(m.group(0), rec)[0]:
            return _said_at(u, pos)
    return float(u.get("end", 0.0) or 0.0)


def _run_in_reply(utts: Sequence[Mapping[str, Any]], q: int, rules: RuleSet, rec: Recognisers,
                  name: str | None) -> Answer | None:
    """A reply the recogniser ran into an agent line: the sentence after the question in the
    question's own line (…吗？对，是我。), or the first sentence of the agent's next line (不是，
    我是他妈妈，…). Read only when no reply of the other party was heard; only a confirmation
    or a denial counts."""
    text = str(utts[q].get("text", "") or "")
    heads: list[tuple[int, str]] = []
    m = re.search(r"[吗么吧][？?，,。！!]?|[？?]", heard_as(text, rec))
    if m and m.end() < len(text):
        heads.append((q, text[m.end():]))
    if q + 1 < len(utts) and speaker_of(utts[q + 1]) == "agent":
        heads.append((q + 1, str(utts[q + 1].get("text", "") or "")))
    limit = 4 * rec.ev.steps["short_reply_chars"]
    for i, rest in heads:
        head: list[str] = []  # the leading clauses, up to the agent's own words
        for clause in CLAUSE_SPLIT.split(_SENTENCE.split(rest.strip(), maxsplit=1)[0]):
            if identity_question(clause, rec)[0] or self_identifies(clause, rec):
                break
            head.append(clause)
        first = "，".join(c for c in head if c)
        if not first or _han_count(first) > limit:
            continue
        result = classify_reply({**utts[i], "text": first}, rules, rec, name)
        if result in ("confirm", "deny"):
            return Answer(q, i, _said_at(utts[i], len(text) - len(rest)) if i == q
                          else _start(utts[i]), result, inferred=True)
    return None


def unheard_question(utts: Sequence[Mapping[str, Any]], rules: RuleSet,
                     rec: Recognisers) -> Answer | None:
    """With no identity question recognised: the other party's early reply that answers one.

    A first-person confirmation (是我, 我就是) in the other party's first ``reply_window`` lines
    (or in an early "agent" line of a one-channel call: ``misattributed_confirmation``) shows
    the question was asked and answered, though not heard; another confirmation (是的) or
    an unclear reply right after a garbled agent line (low-confidence, or an unsettled speaker)
    makes it unclear: the question may hide in that line.
    """
    firsts = [w for w in rec.vocab["confirmation"].members if w.startswith("我") or "我" in w]
    seen = 0
    for j, u in enumerate(utts):
        if speaker_of(u) == "agent":
            if 0 < j <= rec.ev.steps["reply_window"] and misattributed_confirmation(u, rec):
                return Answer(j - 1, j, _start(u), "confirm", inferred=True)
            continue
        seen += 1
        if seen > rec.ev.steps["reply_window"]:
            break
        text = heard_as(str(u.get("text", "") or ""), rec)
        result = classify_reply(u, rules, rec)
        if result == "deny":
            return None
        if result == "confirm" and _filler_asking_back(text, rec):
            continue  # 嗯，什么事？ with no question heard: a backchannel, then a question
        before = j - 1 if j else None
        if result == "confirm" and any(w in text for w in firsts):
            return Answer(before if before is not None else j, j, _start(u), "confirm",
                          inferred=True)
        if result in ("unclear", "confirm") and before is not None \
                and _question_may_hide(utts[before], result, rec):
            return Answer(before, j, _start(u), "unclear")
    return None


def _question_may_hide(u: Mapping[str, Any], result: str, rec: Recognisers) -> bool:
    """Whether an unrecognised identity question may hide in the agent line `u` before a reply
    (``unheard_question``). A confirmation (是的) shows something was asked: the question may
    hide in a low-confidence line that holds speech enough for it (``_may_hold``) and room for
    it -- syllables lost, or a question's shape in its text (``_may_hide_question``): a debt
    stated with every syllable heard and no question in it was answered by a 嗯 of assent, not
    by a yes to who is speaking. An unclear reply shows nothing: the line must be one the step
    is not judged absent from, as for a missing step (``_judgeable``, and the same room). An
    unsettled speaker's line may always be the agent's garbled question."""
    least = rec.ev.steps["question_min_syllables"]
    if not may_be_agent(u, rec.ev) or not _may_hold(u, least):
        return False
    if speaker_unsettled(u, rec.ev):
        return True
    if result == "confirm":
        return low_confidence(u, rec.ev) and _may_hide_question(u, rec)
    return not _judgeable(u, rec.ev) and _may_hide_question(u, rec)


def _lost_syllables(u: Mapping[str, Any]) -> int | None:
    """Syllables counted in the line's signal (``syllables_audio``) beyond the fewest its text
    can take to say (an unmarked number read digit by digit or as a quantity, whichever is
    shorter: ``spoken_units(least=True)``): the words the recogniser dropped. None without a
    signal count. The count errs low (a median of one syllable under the text on confident
    lines), so a positive figure is speech the text does not hold, and a number whose reading
    the text cannot tell (a staff number after a misheard 工号) cannot make a garbled line look
    whole."""
    audio = u.get("syllables_audio")
    if audio is None:
        return None
    try:
        return int(audio) - spoken_units(str(u.get("text", "") or ""), least=True)
    except (TypeError, ValueError):
        return None


def _question_shaped(text: str, rec: Recognisers) -> bool:
    """Whether a garbled line still has the shape of a question to the person on the line: a ？,
    a clause closed by a question tag as the recogniser writes it (吧, or a syllable sounding like
    吗 / 么: ``_tag_after``), a title heard on sound (先生, 女士, 本人), or 是不是. Misheard words
    keep their syllables and mostly their sounds, so a question hidden in a line that holds every
    syllable it was said in shows one of these."""
    if "？" in text or "?" in text or "是不是" in text:
        return True
    heard = heard_as(text, rec)
    if rec.title.search(heard):
        return True
    clauses = [c for c in CLAUSE_SPLIT.split(heard) if c]
    return any(_HAN.fullmatch(c[-1]) and _tag_after(c[-1]) for c in clauses)


def _may_hide_question(u: Mapping[str, Any], rec: Recognisers) -> bool:
    """Whether an identity question the recogniser did not catch may hide in the garbled line
    `u`: it holds speech enough for one (``_may_hold``), and either it lost syllables enough for
    one (``_lost_syllables`` at least ``question_min_syllables``; unknown without a signal
    count), or its text, every syllable written, still has a question's shape
    (``_question_shaped``). A line whose text holds all it was said in, as a greeting, an
    introduction and a staff number misheard, hides no question."""
    least = rec.ev.steps["question_min_syllables"]
    if not _may_hold(u, least):
        return False
    lost = _lost_syllables(u)
    return lost is None or lost >= least or _question_shaped(str(u.get("text", "") or ""), rec)


_QUESTION_END = re.compile(r"[吗么嘛吧]?[？?]|[吗么嘛]$")


def _cut_tag(utts: Sequence[Mapping[str, Any]], i: int, rec: Recognisers) -> str:
    """The question tag the recogniser cut from line `i` into a line of its own (…请问您是 /
    吗？): the next line, when it may be the agent's and is nothing but a tag of one syllable
    (吗, 么, 吧, a syllable sounding like 吗, or a ？ alone); else ''."""
    if i + 1 >= len(utts) or not may_be_agent(utts[i + 1], rec.ev):
        return ""
    frag = str(utts[i + 1].get("text", "") or "").strip()
    body = frag.strip("，,。.！!？? ")
    if not body:
        return frag if ("？" in frag or "?" in frag) else ""
    return frag if len(body) == 1 and _tag_after(body) else ""


def question_framed(text: str, rec: Recognisers) -> bool:
    """The line holds the frame of an identity question with its name or its question tag
    misheard: a question opener (``question_openers``: 请问), then 是 within two characters
    (请问您是, 请问这是, 请问市民是), then at most ``question_span`` characters, closing the clause
    as a question (？, or a 吗 / 么 / 嘛 tag: 请问是尊隐是吗？); or 您是 / 你是 with a title
    (先生, 女士, 本人; heard on sound) within ``question_span`` characters after it (您是全职强
    先生被人罢: 本人吧 misheard). Not the question -- the name or the tag was not heard as one --
    but the place it was asked in."""
    span = rec.ev.steps["question_span"]
    heard = heard_as(text, rec)
    for m in re.finditer(r"[您你]是", heard):
        if rec.title.search(heard[m.end(): m.end() + span + 2]):
            return True
    for clause in re.split(r"[，,。．！!；;]", text):
        for o in rec.ev.words["question_openers"]:
            i = clause.find(o)
            if i < 0:
                continue
            m = re.compile(rf"[^是]{{0,2}}是(?!否)(.{{0,{span}}}?)(?:{_QUESTION_END.pattern})"
                           ).match(clause, i + len(o))
            if m:
                return True
    return False


def _framed_question_line(utts: Sequence[Mapping[str, Any]], i: int, rec: Recognisers) -> bool:
    """Line `i` is a low-confidence line holding an identity question's frame (``question_framed``),
    read with the tag the recogniser cut into the next line (``_cut_tag``)."""
    u = utts[i]
    if not low_confidence(u, rec.ev):
        return False
    return question_framed(str(u.get("text", "") or "") + _cut_tag(utts, i, rec), rec)


def _may_hold(u: Mapping[str, Any], least: int) -> bool:
    """Whether the line holds speech enough to say `least` syllables in: the syllable nuclei
    counted in its signal (``syllables_audio``, from voice.metrics) or its characters, whichever
    is more. A garbled line of one syllable (嗯 heard as 等) hides no identity question; a line
    without a signal count may hold anything."""
    audio = u.get("syllables_audio")
    if audio is None:
        return True
    try:
        return max(int(audio), _han_count(str(u.get("text", "") or ""))) >= least
    except (TypeError, ValueError):
        return True


def misattributed_confirmation(u: Mapping[str, Any], rec: Recognisers) -> bool:
    """An "agent" line of a one-channel call (attributed by voice: it has ``agent_posterior``)
    whose first clause is a first-person confirmation (我就是, 是我本人, with at most
    ``short_reply_chars`` characters more: 我就是王芳) right after the agent's question: the
    customer's answer given to the wrong voice. An agent never answers their own
    identity question in the first person; a two-channel line is the channel's, and is left."""
    if u.get("agent_posterior") is None:
        return False
    first = next((c for c in CLAUSE_SPLIT.split(heard_as(str(u.get("text", "") or ""), rec))
                  if c), "")
    for w in rec.vocab["confirmation"].members:
        # 我是 opens the agent's own introduction too (我是安信贷的客服): only alone
        if "我" in w and first.startswith(w) and (first == w or (
                w != "我是" and not first[len(w):].startswith("们")
                and _han_count(first) <= len(w) + rec.ev.steps["short_reply_chars"])):
            return True
    return False


def _first_reply_denies(utts: Sequence[Mapping[str, Any]], rules: RuleSet,
                        rec: Recognisers) -> bool:
    """One of the other party's first ``reply_window`` lines denies being the debtor: a question
    misheard in the opening was then answered by a denial, which is evidence enough."""
    seen = 0
    for u in utts:
        if speaker_of(u) == "agent":
            continue
        seen += 1
        if seen > rec.ev.steps["reply_window"]:
            break
        if classify_reply(u, rules, rec) == "deny":
            return True
    return False


def _filler_asking_back(text: str, rec: Recognisers) -> bool:
    """A reply that asks back (什么事, 哪位) and holds no confirmation word of two syllables or
    more (是我, 是的): its 嗯 / 对 is a backchannel to whatever was said. It answers an identity
    question that was heard (嗯，什么事？ to 是宋先生吗？), not one merely guessed at."""
    if not any(q in text for q in rec.ev.words["question_back"]):
        return False
    return not any(m in text for m in rec.vocab["confirmation"].members)


def _confident_chars(utts: Sequence[Mapping[str, Any]], idx: Sequence[int],
                     ev: EvidenceSettings) -> int:
    """Han characters of settled agent lines intelligible enough to judge a step absent."""
    return sum(_han_count(str(utts[i].get("text", "") or "")) for i in idx
               if speaker_of(utts[i]) == "agent" and not speaker_unsettled(utts[i], ev)
               and _judgeable(utts[i], ev))


def _judgeable(u: Mapping[str, Any], ev: EvidenceSettings) -> bool:
    """The line is intelligible enough to say a step is not in it: its confidence reaches
    ``judge_confidence_percent``, and a line of two seconds or more holds at least
    ``min_chars_per_10s`` characters per ten seconds (a recognised line far shorter than its
    speech lost words, or holds a phrase the recogniser repeated from elsewhere)."""
    if confidence_of(u) * 100 < ev.steps["judge_confidence_percent"]:
        return False
    if u.get("confidence") is None:  # a transcript's line, not the recogniser's
        return True
    length = float(u.get("end", 0.0) or 0.0) - _start(u)
    return length < 2.0 or 10 * _han_count(str(u.get("text", "") or "")) >= (
        ev.steps["min_chars_per_10s"] * length)


def own_state_blanked(text: str, rec: Recognisers) -> str:
    """`text` with the speaker's words about their own state blanked (``[words] own_state``:
    我不在家, 我现在不方便, 不认识你): a debtor putting the caller off, not a denial of being the
    debtor -- a third party says 他不在 or 不认识这个人."""
    for phrase in sorted(rec.ev.words.get("own_state", ()), key=len, reverse=True):
        text = text.replace(phrase, " " * len(phrase))
    return text


def strong_denial(text: str, rec: Recognisers) -> bool:
    """A reply that says outright it is not the debtor: a ``denial`` member (打错了, 不是我, 他不在)
    or a third party naming themselves (我是他老婆) -- not just a negation (不是，我是说…)."""
    text = own_state_blanked(text, rec)
    return any(d in text for d in rec.vocab["denial"].members) or bool(
        rec.third_party.search(text))


def _settled_denials(answers: list[Answer], utts: Sequence[Mapping[str, Any]],
                     rec: Recognisers) -> list[Answer]:
    """The answers without the weak ones that follow a settled answer. Once the debtor has
    confirmed, a later name + question is a form of address (王先生，您看行吗？), and a reply
    opening with 不是 there is a turn of speech (不是，我是说…): only a strong denial (a wrong
    number, a third party naming themselves) undoes the confirmation. Likewise once the other
    party has strongly denied (他不在, 我是他妹妹), a later question naming the debtor asks about
    them (您认识X吗, X在吗) and a yes to it is about them: only a first-person confirmation
    (是我, 我就是, 本人) undoes the denial, never one read from the dialogue."""
    firsts = [w for w in rec.vocab["confirmation"].members if "我" in w or "本人" in w]
    out: list[Answer] = []
    confirmed = denied = False
    for a in sorted(answers, key=lambda a: a.time):
        said = "" if a.reply is None else str(utts[a.reply].get("text", "") or "")
        if a.result == "deny" and confirmed and (a.inferred or a.reply is None
                                                 or not strong_denial(said, rec)):
            continue
        if a.result == "confirm" and denied and (a.inferred or not any(
                w in heard_as(said, rec) for w in firsts)):
            continue
        confirmed = confirmed or a.result == "confirm"
        denied = (denied or (a.result == "deny" and not a.inferred and a.reply is not None
                             and strong_denial(said, rec))) and a.result != "confirm"
        out.append(a)
    return out


def _reply_line(u: Mapping[str, Any], rec: Recognisers) -> bool:
    """A line of an unsettled speaker that is nothing but a reply word (是的, 对, 嗯, 不是): the
    other party's answer, not an agent line a step may hide in."""
    if not speaker_unsettled(u, rec.ev):
        return False
    v = rec.vocab
    words = {*v["confirmation"].all, *v["denial"].all}
    clauses = [c for c in CLAUSE_SPLIT.split(str(u.get("text", "") or "")) if c]
    return bool(clauses) and all(c in words for c in clauses)


def _after_last_garbled(utts: Sequence[Mapping[str, Any]], region: list[int],
                        rec: Recognisers) -> list[int]:
    """The agent's last turns after the last garbled one (not judgeable, not a reply word):
    a close is the agent's last words, so intelligible agent turns after a garbled line show
    the call's end was heard -- a close hidden in the garbled line would not have ended it.
    The whole region when its last line is garbled (the close may hide there)."""
    garbled = [k for k, i in enumerate(region)
               if not _judgeable(utts[i], rec.ev) and not _reply_line(utts[i], rec)]
    if not garbled or garbled[-1] == len(region) - 1:
        return region
    return region[garbled[-1] + 1:]


def _said_at(u: Mapping[str, Any], offset: int) -> float:
    """When the character at `offset` of the line was said, by its share of the line's text (a
    line the recogniser ran together holds the question, the reply and the debt in turn)."""
    text = str(u.get("text", "") or "")
    start, end = _start(u), float(u.get("end", 0.0) or 0.0)
    return start + (max(end, start) - start) * offset / max(len(text), 1)


def _intelligible(utts: Sequence[Mapping[str, Any]], region: Sequence[int], least: int,
                  ev: EvidenceSettings) -> bool:
    """Enough intelligible agent speech in `region` to say a step is not there: at least
    `least` confident agent characters, and confident lines holding at least
    ``min_confident_percent`` of the agent's characters there (a garbled opening may hide it)."""
    confident = _confident_chars(utts, region, ev)
    total = sum(_han_count(str(utts[i].get("text", "") or "")) for i in region)
    return confident >= least and 100 * confident >= ev.steps["min_confident_percent"] * total


def _lost_reply_spans(utts: Sequence[Mapping[str, Any]], answers: Sequence[Answer],
                      rec: Recognisers) -> list[tuple[float, float]]:
    """(from, to) after each identity question whose confirmation was not heard as a reply to
    it -- inferred from the dialogue that followed, or a reply that confirms without saying who
    (哎，最近太难了 / 是的: a reaction to whatever was said last, not a first-person 是我): from
    the end of the question's line (debt words in that line itself were said before any reply)
    to the other party's first line after it (or the answer, whichever is earlier). The reply
    was not heard, so whether the debt was stated before or after it is not known (a lost
    是 / 对 is the commonest error); a line of the other party heard before the debt that
    confirms nothing leaves it early, and so does a first-person yes heard only after it."""
    firsts = [w for w in rec.vocab["confirmation"].members if "我" in w or "本人" in w]
    spans = []
    for a in answers:
        if a.result != "confirm" or a.reply is None:
            continue
        said = heard_as(str(utts[a.reply].get("text", "") or ""), rec)
        if not a.inferred and any(w in said for w in firsts):
            continue
        q = utts[a.question]
        heard = next((_start(u) for u in utts[a.question + 1:] if speaker_of(u) != "agent"),
                     a.time)
        spans.append((float(q.get("end", 0.0) or 0.0), min(heard, a.time)))
    return spans


def _note(sid: str, u: Mapping[str, Any], why: str, ev: EvidenceSettings) -> dict[str, Any]:
    return utterance_flag(UNCLEAR_NOTE, f"steps.{sid}", "info", u, "", reasons=[why], ev=ev)


def evaluate_steps(utts: Sequence[dict[str, Any]], analyses: Sequence[Analysed],
                   rules: RuleSet, evidence: EvidenceSettings | None = None,
                   ) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """Fill the steps dict and raise missing_*, disclosure and third-party flags on evidence."""
    ev = evidence or default_evidence()
    rec = _recognisers(ev)
    steps = {sid: False for sid in STEPS}
    if not any(speaker_of(u) == "agent" for u in utts):
        return [], steps
    agent = [i for i, u in enumerate(utts) if may_be_agent(u, ev)]
    texts = [str(u.get("text", "") or "") for u in utts]
    v = rec.vocab

    matches: dict[str, list[int]] = {}
    regions: dict[str, list[int]] = {}
    for sid, step in rules.steps.items():
        idx = [i for i in agent if match_rule(step.matcher, analyses[i], rules)]
        region = agent
        if sid == "greeting":
            idx += [i for i in agent if greets(texts[i], rec)]
        if sid == "self_identification":
            idx += [i for i in agent if self_identifies(texts[i], rec)]
        if sid == "closing":
            last = agent[-ev.steps["closing_last_turns"]:]
            idx += [i for i in last if any(c in texts[i] for c in v["closing"].members)]
            idx += [i for i in agent[-1:] if any(c in texts[i] for c in v["closing"].context)]
        if step.within_first:
            region = agent[: step.within_first]
            idx = [i for i in idx if i in region]
        if step.within_last:
            region = agent[-max(step.within_last, ev.steps["closing_last_turns"]):]
            idx = [i for i in idx if i in region]
        if step.also and idx and not any(match_rule(step.also, analyses[i], rules) for i in agent):
            idx = []
        matches[sid] = sorted(set(idx))
        regions[sid] = region

    names: dict[int, str | None] = {}
    questions = set(matches.get("identity_verification", []))
    for i in agent:
        asked, name = identity_question(texts[i], rec)
        if asked:
            questions.add(i)
            names[i] = name
    qlist = sorted(questions)
    matches["identity_verification"] = qlist
    answers = find_answers(utts, qlist, rules, rec, names)
    if not qlist:
        guessed = unheard_question(utts, rules, rec)
        answers = [guessed] if guessed else []
    answers = _settled_denials(answers, utts, rec)
    for sid in STEPS:
        steps[sid] = bool(matches.get(sid))
    steps["identity_verification"] = any(a.result == "confirm" for a in answers)
    unclear = [a for a in answers if a.result == "unclear"]

    flags: list[dict[str, Any]] = []
    minimum = {"greeting": ev.steps["min_greeting_chars"],
               "closing": ev.steps["min_closing_chars"]}
    opening = agent[: ev.steps["opening_turns"]]
    denied = any(a.result == "deny" for a in answers)
    # the lines a denial was heard in (a third party's reply): flags resting on it carry their
    # doubt (utterance_flag's `also`)
    denial_lines = [utts[a.reply] for a in answers if a.result == "deny" and a.reply is not None]
    # no identity question anywhere, and an opening too garbled to say it was not asked
    question_unheard = False
    for sid, step in rules.steps.items():
        if not step.flag or steps[sid]:
            continue
        region = regions.get(sid, agent)
        if sid in ("self_identification", "identity_verification") and not (
                step.within_first or step.within_last):
            region = opening  # where the step belongs: the agent's opening turns
        if sid == "closing":
            region = _after_last_garbled(utts, region, rec)
        where = utts[region[-1] if sid == "closing" else region[0]]
        # a part of the call the step belongs to (first / last turns, the opening)
        bounded = bool(step.within_first or step.within_last) or region is opening
        if sid == "identity_verification" and (denied or (qlist and not unclear)):
            # positive evidence: a denial, or a confident reply that is no confirmation; the
            # flag rests on the denial too (a doubted one makes it uncertain)
            flags.append(utterance_flag(step.flag, f"steps.{sid}", step.severity, where, "",
                                        also=denial_lines[:1], ev=ev))
            continue
        if sid == "identity_verification" and unclear:
            flags.append(_note(sid, utts[unclear[0].reply or unclear[0].question],
                               UNCLEAR_REPLY, ev))
            continue
        if not _intelligible(utts, region, minimum.get(sid, ev.steps["min_agent_chars"]), ev):
            flags.append(_note(sid, where, "too_little_confident_agent_speech", ev))
            question_unheard = question_unheard or sid == "identity_verification"
            continue
        weak = [utts[i] for i in region if low_confidence(utts[i], ev)]
        garbled = [utts[i] for i in region
                   if not _judgeable(utts[i], ev) and not _reply_line(utts[i], rec)
                   and (sid != "identity_verification"
                        or _may_hide_question(utts[i], rec))]
        why = "low_confidence_text"
        if sid == "self_identification" and not garbled:
            garbled = [utts[i] for i in region if garbled_introduction(texts[i], rec)]
            why = "garbled_introduction"
        if sid == "greeting" and not garbled:
            garbled = [utts[i] for i in region[:1] if greeting_may_hide(texts[i], rec)]
            why = "greeting_misheard"
        if sid == "identity_verification" and not garbled and not _first_reply_denies(
                utts, rules, rec):
            garbled = [utts[i] for i in region if _framed_question_line(utts, i, rec)]
            why = "question_misheard"
        if garbled and bounded:
            flags.append(_note(sid, garbled[-1] if sid == "closing" else garbled[0], why, ev))
            question_unheard = question_unheard or sid == "identity_verification"
            continue
        flags.append(utterance_flag(step.flag, f"steps.{sid}", step.severity, where, "",
                                    also=weak[:1], ev=ev))

    ver = rules.verification
    confirms = [a.time for a in answers if a.result == "confirm"]
    # an unclear answer covers what follows its question: the reply may have been lost before
    unclear_times = [_start(utts[a.question]) for a in unclear]
    first_confirm = min(confirms) if confirms else None
    # the debtor's confirmation known only from the dialogue after it (no yes heard): when it
    # came is unknown from the question on, unless the other party was heard saying something
    # else first -- a disclosure before their first heard line may follow a lost reply
    lost_reply = _lost_reply_spans(utts, answers, rec)
    early_done = noted = False
    for i in matches.get("debt_disclosure", []):
        u = utts[i]
        hits = match_rule(rules.steps["debt_disclosure"].matcher, analyses[i], rules)
        if sound_only_unheard(u, (h.via for h in hits), ev):
            continue  # only sound-alikes on a line the recogniser doubts: no evidence
        t = _said_at(u, min((h.start for h in hits), default=0))
        matched = "、".join(dict.fromkeys(h.surface for h in hits))
        via = "pinyin" if hits and all(h.via == "pinyin" for h in hits) else None
        third_by = [a for a in answers if a.result == "deny" and a.time <= t
                    and not any(a.time < c <= t for c in confirms)]
        third = bool(third_by)
        early = first_confirm is None or t < first_confirm
        if third:
            flags.append(utterance_flag("third_party_disclosure", "steps.third_party_disclosure",
                                        ver.third_party_severity, u, matched, via,
                                        also=[utts[a.reply] for a in third_by[-1:]
                                              if a.reply is not None], ev=ev))
        if early and not third and (any(x <= t for x in unclear_times) or question_unheard
                                    or any(a <= t < b for a, b in lost_reply)):
            if not noted:
                flags.append(_note("disclosure_before_verification", u, UNCLEAR_REPLY, ev))
                noted = True
            continue
        if early and not early_done and (not third or ver.third_party_also_early_disclosure):
            flags.append(utterance_flag("disclosure_before_verification",
                                        "steps.disclosure_before_verification",
                                        ver.early_disclosure_severity, u, matched, via, ev=ev))
            early_done = True
    return flags, steps
