"""Script steps of a call, judged on the evidence the words give, and the flags of their order.

Steps: greeting, self_identification, identity_verification, debt_disclosure,
consequence_notice, repayment_plan, closing. The agent's lines count (and lines whose speaker is
unsettled, which may be the agent's). Each step is found by the pack's matcher (``steps.toml``,
which a QA team's pack may extend) *or* by the recognisers below, built from the word classes of
``packs/concepts.toml``; thresholds and the few extra word lists are ``auditor/config/
evidence.toml``.

* **Greeting**: a ``greeting`` member in the agent's first ``within_first`` turns.
* **Self-identification**: the introduction frame (``self_intro_frame``: 我是 / 这里是 /
  我这边是 ...) followed within ``intro_span`` characters by a ``role_word``, an
  ``institution_word``, a ``lender_product`` or a lender brand (a word ending in
  ``lender_brand_suffix``: ...贷, ...花, ...分期, ...金融, ...银行); or, the frame left out, a
  clause opening with the lender and going on to a role or department (XX小贷贷后部，工号...).
  The frame alone proves nothing.
* **Identity question**: a name (a common surname + one or two characters, not an everyday word)
  or a title (``title_word``: 先生, 女士, 本人; 总 / 老师 ... only after a name), then a question
  particle or ？ within ``question_span`` characters; or 是不是 + a name/title; or a verification
  procedure (核实身份, 身份证后四位). A polite 请问您…吗 without a name or title is not one.
* **The reply** (the next ``reply_window`` non-agent lines) is a *denial* (``denial`` class, a
  third party naming themselves 我是他老婆, 你找谁), a *confirmation* (``confirmation`` class; its
  one-character members 是/对/嗯 only as the whole clause; the asked name repeated), a *question
  back* (decides nothing), or *unclear*: a short reply on a low-confidence line, or a short one
  that holds nothing recognisable. When no reply decides and one was unclear, the dialogue that
  follows decides: the customer engaging with the debt (我下周还, 我没钱), or the agent addressing
  them as the debtor (the asked name again, 您的 + a debt word) confirms; a later denial denies.
  An answer that stays unclear raises no major flag (no missing_identity_verification and no
  disclosure_before_verification): only an ``info_step_unclear`` note, uncertain.
* **Closing**: a ``closing`` member in the agent's last ``closing_last_turns`` turns, or one of its
  everyday words (谢谢, 先这样) in the very last one.

**Missing steps need positive evidence.** A ``missing_*`` flag is raised only when the part of
the call where the step belongs holds at least ``min_*_chars`` confident agent characters
(settled agent lines at or above the confidence threshold). When it does not, or when a bounded
part (first or last turns) holds a low-confidence agent line the step may hide in, the flag
becomes an ``info_step_unclear`` note; a whole-call step with low-confidence lines is raised but
uncertain.

**Disclosure.** An agent line matching ``debt_disclosure`` before the debtor confirmed raises
``disclosure_before_verification`` (once per call); after a denial and before a later
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
    default_evidence,
    low_confidence,
    may_be_agent,
    speaker_of,
    speaker_unsettled,
    utterance_flag,
)
from auditor.compliance.matching import Analysed, match_rule
from auditor.compliance.rules import RuleSet
from auditor.compliance.tokens import CLAUSE_SPLIT, word_freq
from auditor.core import config
from auditor.core.config import ConfigError
from auditor.core.vocab import STEPS

# The one word-class library (the rule packs use it too).
CONCEPT_PATHS = (Path(__file__).parent / "packs" / "concepts.toml",)
# The word classes the steps use.
STEP_CLASSES = ("greeting", "self_intro_frame", "role_word", "institution_word", "lender_product",
                "lender_brand_suffix", "identity_question", "title_word", "question_particle",
                "confirmation", "denial", "closing", "repay_word", "promise_word", "debt_word")
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
    lender: re.Pattern[str]
    role: re.Pattern[str]


_COMPILED: dict[tuple, Recognisers] = {}


def _settings_key(ev: EvidenceSettings) -> tuple:
    """The settings' content as a hashable key (equal settings share their recognisers)."""
    return (ev.low_confidence, ev.fuzzy_low_confidence, ev.unsettled_low, ev.unsettled_high,
            tuple(sorted(ev.steps.items())), tuple(sorted(ev.words.items())))


def _recognisers(ev: EvidenceSettings) -> Recognisers:
    """The recognisers of these settings, compiled once per distinct settings content."""
    key = _settings_key(ev)
    rec = _COMPILED.get(key)
    if rec is None:
        rec = _COMPILED[key] = _compile(ev)
    return rec


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
        third_party=re.compile(rf"我是(?:他|她)(?:的)?(?:{_alt(w['third_party_self'])})"),
        lender=re.compile(rf"(?:[\u4e00-\u9fff]{{0,6}}?(?:{_alt(v['institution_word'].members)})|"
                          rf"{_alt(v['lender_product'].members)})"),
        role=re.compile(rf"{_alt(v['role_word'].all)}|工号|[\u4e00-\u9fff]{{1,4}}部(?![分门])"),
    )


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
    for m in rec.frame.finditer(text):
        window = text[m.end(): m.end() + span]
        if rec.target.search(window) or _brand_at(window, rec):
            return True
    for clause in CLAUSE_SPLIT.split(text):
        for head in (_brand_at(clause, rec), rec.lender.match(clause)):
            if head and rec.role.search(clause[head.end(): head.end() + span]):
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


def identity_question(text: str, rec: Recognisers) -> tuple[bool, str | None]:
    """Whether an agent line asks who is on the line, and the name it asks for (if any)."""
    span = rec.ev.steps["question_span"]
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

    `u` is the reply utterance (its confidence counts) or just its text (confident).
    """
    if isinstance(u, str):
        u = {"text": u}
    rec = rec or _recognisers(default_evidence())
    text = str(u.get("text", "") or "").strip()
    v, w = rec.vocab, rec.ev.words
    short = _han_count(text) <= rec.ev.steps["short_reply_chars"]
    if short and low_confidence(u, rec.ev):
        return "unclear"
    if (any(d in text for d in (*v["denial"].members, *w["denial_extra"]))
            or rec.third_party.search(text)
            or any(p.search(text) for p in rules.verification.deny)):
        return "deny"
    clauses = [c for c in CLAUSE_SPLIT.split(text) if c]
    single = set(v["confirmation"].context) & {"是", "对", "嗯", "恩"}
    for c in clauses:
        if any(m in c for m in v["confirmation"].members):
            return "confirm"
        if any(p.search(c) for p in rules.verification.confirm):
            return "confirm"
        if c and set(c) <= single:
            return "confirm"
    if name and name in text:
        return "confirm"
    if any(q in text for q in w["question_back"]):
        return "question"
    if short:
        return "unclear"
    return None


def engages_with_debt(text: str, rec: Recognisers) -> bool:
    """The customer talks about the debt as their own (我下周还, 我没钱, 分期还)."""
    v, w = rec.vocab, rec.ev.words
    return (any(x in text for x in (*v["repay_word"].members, *v["promise_word"].members,
                                    *w["engagement"]))
            or bool(re.search(r"我.{0,6}还(?!没|不是|有)", text)))


def addresses_as_debtor(text: str, name: str | None, rec: Recognisers) -> bool:
    """The agent speaks to the person as the debtor: the asked name again, or 您的 + a debt word."""
    if name and name in text:
        return True
    surname_title = re.search(rf"(?:{_alt(rec.ev.words['surnames'])})"
                              rf"(?:{_alt(rec.vocab['title_word'].all)})", text)
    if surname_title and surname_title.start() <= 1:
        return True
    return bool(re.search(rf"(?:您|你)的.{{0,6}}(?:{_alt(rec.vocab['debt_word'].members)})", text))


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
    """The answers given to the agent's identity questions, in time order."""
    answers: list[Answer] = []
    has_other = any(speaker_of(u) != "agent" for u in utts)
    qset = set(questions)
    window, follow = rec.ev.steps["reply_window"], rec.ev.steps["follow_turns"]
    for q in questions:
        if not has_other:
            answers.append(Answer(q, None, float(utts[q].get("end", 0.0) or 0.0), "confirm"))
            continue
        name = names.get(q)
        seen, unclear, decided = 0, None, False
        for j in range(q + 1, len(utts)):
            if j in qset or seen >= window:
                break
            if speaker_of(utts[j]) == "agent":
                continue
            seen += 1
            result = classify_reply(utts[j], rules, rec, name)
            if result in ("confirm", "deny"):
                answers.append(Answer(q, j, _start(utts[j]), result))
                decided = True
                break
            if result == "unclear" and unclear is None:
                unclear = j
        if decided or unclear is None:
            continue
        inferred = None
        for j in range(unclear + 1, min(len(utts), unclear + 1 + follow)):
            if j in qset:
                break
            u, text = utts[j], str(utts[j].get("text", "") or "")
            if speaker_of(u) == "agent":
                if addresses_as_debtor(text, name, rec):
                    inferred = "confirm"
                    break
                continue
            if low_confidence(u, rec.ev):
                continue
            result = classify_reply(u, rules, rec, name)
            if result == "deny":
                inferred = "deny"
                break
            if result == "confirm" or engages_with_debt(text, rec):
                inferred = "confirm"
                break
        answers.append(Answer(q, unclear, _start(utts[unclear]), inferred or "unclear",
                              inferred=inferred is not None))
    return answers


def _confident_chars(utts: Sequence[Mapping[str, Any]], idx: Sequence[int],
                     ev: EvidenceSettings) -> int:
    return sum(_han_count(str(utts[i].get("text", "") or "")) for i in idx
               if speaker_of(utts[i]) == "agent" and not speaker_unsettled(utts[i], ev)
               and not low_confidence(utts[i], ev))


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
            idx += [i for i in agent if any(g in texts[i] for g in v["greeting"].members)]
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
    for sid in STEPS:
        steps[sid] = bool(matches.get(sid))
    steps["identity_verification"] = any(a.result == "confirm" for a in answers)
    unclear = [a for a in answers if a.result == "unclear"]

    flags: list[dict[str, Any]] = []
    minimum = {"greeting": ev.steps["min_greeting_chars"],
               "closing": ev.steps["min_closing_chars"]}
    for sid, step in rules.steps.items():
        if not step.flag or steps[sid]:
            continue
        region = regions.get(sid, agent)
        where = utts[region[-1] if sid == "closing" else region[0]]
        bounded = bool(step.within_first or step.within_last)
        if sid == "identity_verification" and unclear:
            flags.append(_note(sid, utts[unclear[0].reply or unclear[0].question],
                               UNCLEAR_REPLY, ev))
            continue
        if _confident_chars(utts, region, ev) < minimum.get(sid, ev.steps["min_agent_chars"]):
            flags.append(_note(sid, where, "too_little_confident_agent_speech", ev))
            continue
        weak = [utts[i] for i in region if low_confidence(utts[i], ev)]
        if weak and bounded:
            flags.append(_note(sid, weak[-1] if sid == "closing" else weak[0],
                               "low_confidence_text", ev))
            continue
        flags.append(utterance_flag(step.flag, f"steps.{sid}", step.severity, where, "",
                                    also=weak[:1], ev=ev))

    ver = rules.verification
    confirms = [a.time for a in answers if a.result == "confirm"]
    denials = [a.time for a in answers if a.result == "deny"]
    unclear_times = [a.time for a in unclear]
    first_confirm = min(confirms) if confirms else None
    early_done = noted = False
    for i in matches.get("debt_disclosure", []):
        u = utts[i]
        t = _start(u)
        hits = match_rule(rules.steps["debt_disclosure"].matcher, analyses[i], rules)
        matched = "、".join(dict.fromkeys(h.surface for h in hits))
        via = "pinyin" if hits and all(h.via == "pinyin" for h in hits) else None
        third = any(d <= t and not any(d < c <= t for c in confirms) for d in denials)
        early = first_confirm is None or t < first_confirm
        if third:
            flags.append(utterance_flag("third_party_disclosure", "steps.third_party_disclosure",
                                        ver.third_party_severity, u, matched, via, ev=ev))
        if early and not third and any(x <= t for x in unclear_times):
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
