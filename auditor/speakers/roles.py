"""Role cues and turn-taking of a mono call, from its text.

The agent greets, asks 请问是…本人吗, names an institution and a 工号, reads plans back …对吗;
the customer answers 是我/嗯/我没钱, proposes 15号还 / 这周六吧. After a question the other party
speaks; a piece the VAD cut mid-sentence, ending with a comma, goes on with the same voice. The
cues and turn rules live in ``config/roles.toml``. The text is ASR output: cues also match on
fuzzy toneless pinyin (征信 → 真信, 欠款 → 千款).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from auditor.core import config
from auditor.core.config import AnyKeys, Key

ROLES_PATH = config.CONFIG_DIR / "roles.toml"
# The keys of roles.toml, their types and ranges; the values live only in the file.
_CUES = {"pinyin_min_chars": Key(int, low=1), "phrases": AnyKeys(Key(float)),
         "patterns": AnyKeys(Key(float), regex_keys=True)}
_PROBABILITY = Key(float, low=0, high=1)
ROLES_SCHEMA = {
    "prior": {"first_speaker_agent": Key(float), "opener_voice_agent": Key(float, low=0),
              "utterance_cue_weight": Key(float, low=0), "cue_cap": Key(float, low=0.1),
              "long_line_s": Key(float, low=0.1), "line_length_weight": Key(float, low=0),
              "line_length_cap": Key(float, low=0), "chain_voice_weight": Key(float, low=0)},
    "turns": {"change": _PROBABILITY, "after_question": _PROBABILITY,
              "continuation": _PROBABILITY, "continuation_gap_s": Key(float, low=0),
              "touching": _PROBABILITY, "touch_gap_s": Key(float, low=0),
              "question_patterns": Key(list, regex=True),
              "around_backchannel": _PROBABILITY, "backchannel_patterns": Key(list, regex=True),
              "between_long_lines": _PROBABILITY, "one_voice": _PROBABILITY},
    "decision": {"settled": Key(float, low=0.5, high=0.999),
                 "settled_text_only": Key(float, low=0.5, high=0.999)},
    "agent": _CUES,
    "customer": _CUES,
    "answers": {"unanswered_weight": _PROBABILITY, "phrases": Key(list),
                "patterns": Key(list, regex=True)},
    "questions": {"unasked_weight": _PROBABILITY, "phrases": Key(list)},
}


@dataclass(frozen=True)
class Turns:
    """Turn-taking: the probability that the speaker changes between two consecutive utterances.

    Without text or voice evidence a boundary says nothing (``change`` = 0.5). After a question
    the other party usually answers; a piece that stops mid-sentence (ends with a comma) and is
    followed after a short gap is usually the same speaker going on (the VAD cut a turn at a
    breath); two pieces that touch (gap below ``touch_gap_s``) usually come from one stretch.
    """

    change: float
    after_question: float
    continuation: float
    continuation_gap_s: float
    touching: float
    touch_gap_s: float
    question_patterns: tuple[re.Pattern[str], ...]
    around_backchannel: float
    backchannel_patterns: tuple[re.Pattern[str], ...]
    between_long_lines: float
    one_voice: float
    long_line_s: float


@dataclass(frozen=True)
class Decision:
    """When a line's speaker is settled: P(agent) at or above ``settled`` names the agent, at or
    below 1 - ``settled`` the customer; between, the line stays ``unknown`` (its posterior is
    kept). Without usable voice evidence the stricter ``settled_text_only`` applies."""

    settled: float
    settled_text_only: float

    @property
    def log_odds(self) -> float:
        """``settled`` as agent-vs-customer log-odds."""
        return math.log(self.settled / (1.0 - self.settled))

    @property
    def text_only_log_odds(self) -> float:
        """``settled_text_only`` as log-odds."""
        return math.log(self.settled_text_only / (1.0 - self.settled_text_only))


@dataclass(frozen=True)
class Answers:
    """Customer cues that are answers (roles.toml [answers]): counted in full only on a line
    that follows a question, else ``unanswered_weight`` of their weight. The listed cues are kept
    with their [customer] weights, read once at load."""

    phrases: dict[str, float]
    patterns: tuple[tuple[re.Pattern[str], float], ...]
    unanswered_weight: float


@dataclass(frozen=True)
class Questions:
    """Agent cues that are part of a question (roles.toml [questions]): counted in full only on
    a line that is a question, else ``unasked_weight`` of their weight. The listed cues are kept
    with their [agent] weights, read once at load."""

    phrases: dict[str, float]
    unasked_weight: float


@dataclass(frozen=True)
class Roles:
    """Role cues loaded from ``roles.toml`` (the only home of their values, and of the defaults
    of ``Turns`` and ``Decision``: no class here has defaults of its own), per role."""

    agent_phrases: dict[str, float]
    agent_patterns: tuple[tuple[re.Pattern[str], float], ...]
    customer_phrases: dict[str, float]
    customer_patterns: tuple[tuple[re.Pattern[str], float], ...]
    first_speaker_agent: float
    utterance_cue_weight: float
    agent_pinyin_min: int
    customer_pinyin_min: int
    turns: Turns
    decision: Decision
    long_line_s: float
    line_length_weight: float
    line_length_cap: float
    opener_voice_agent: float
    chain_voice_weight: float
    cue_cap: float
    answers: Answers
    questions: Questions


def length_prior(duration_s: float, roles: Roles | None = None) -> float:
    """Agent-vs-customer log-odds of a line from its length alone (weak evidence).

    The agent opens, explains and reads things back in long stretches; the debtor mostly answers
    briefly, but both parties say short things (好的, 对), so only length says something: a line
    gets ``line_length_weight`` log-odds per doubling of its length over ``long_line_s``, at
    most ``line_length_cap``; a shorter line gets none (length never moves a line, and so an
    agent's short violation, to the customer's side).
    """
    roles = roles or load_roles()
    if duration_s <= roles.long_line_s or roles.line_length_weight <= 0:
        return 0.0
    lo = roles.line_length_weight * math.log2(duration_s / roles.long_line_s)
    return float(min(lo, roles.line_length_cap))


def load_roles(path: str | Path = ROLES_PATH) -> Roles:
    """The packaged role cues, with the TOML file at `path` (if another) over them key by key.

    A QA lead can edit the TOML without touching code; `ConfigError` names a problem's line.
    Read once per process and file version (``config.stamp``): an edited file is read again.
    """
    return _load_roles(path, config.stamp(ROLES_PATH, path))


@lru_cache(maxsize=4)
def _load_roles(path: str | Path, _stamp: tuple) -> Roles:
    data = config.load(ROLES_PATH, path, ROLES_SCHEMA, "role cues")

    def patterns(section: dict) -> tuple[tuple[re.Pattern[str], float], ...]:
        return tuple((re.compile(p), float(wt)) for p, wt in section["patterns"].items())

    agent, customer, prior, t = data["agent"], data["customer"], data["prior"], data["turns"]
    turns = Turns(
        change=float(t["change"]),
        after_question=float(t["after_question"]),
        continuation=float(t["continuation"]),
        continuation_gap_s=float(t["continuation_gap_s"]),
        touching=float(t["touching"]),
        touch_gap_s=float(t["touch_gap_s"]),
        question_patterns=tuple(re.compile(q) for q in t["question_patterns"]),
        around_backchannel=float(t["around_backchannel"]),
        backchannel_patterns=tuple(re.compile(q) for q in t["backchannel_patterns"]),
        between_long_lines=float(t["between_long_lines"]),
        one_voice=float(t["one_voice"]),
        long_line_s=float(prior["long_line_s"]),
    )
    d = data["decision"]
    return Roles(
        answers=_answers(data["answers"], customer, path),
        questions=_questions(data["questions"], agent, path),
        turns=turns,
        agent_phrases={k: float(v) for k, v in agent["phrases"].items()},
        agent_patterns=patterns(agent),
        customer_phrases={k: float(v) for k, v in customer["phrases"].items()},
        customer_patterns=patterns(customer),
        agent_pinyin_min=int(agent["pinyin_min_chars"]),
        customer_pinyin_min=int(customer["pinyin_min_chars"]),
        decision=Decision(settled=float(d["settled"]),
                          settled_text_only=float(d["settled_text_only"])),
        **{key: float(value) for key, value in prior.items()},  # [prior]: all numbers
    )


def _listed_cues(table: str, section: dict, role: str, cues: dict, keys: tuple[str, ...],
                 path: str | Path) -> None:
    """Every cue a [answers] / [questions] list names is a key of the role's cues; an error
    names the line of the stray value."""
    for key in keys:
        missing = [c for c in section[key] if c not in cues[key]]
        if missing:
            where = next((f for f in (Path(path), ROLES_PATH)
                          if missing[0] in f.read_text(encoding="utf-8")), ROLES_PATH)
            line = config.Locator(where.read_text(encoding="utf-8")).line_of(
                table, value=missing[0])
            raise config.ConfigError(f"{where}:{line}: [{table}] {key} lists {missing[0]!r}, "
                                     f"which is not a key of [{role}.{key}].")


def _questions(section: dict, agent: dict, path: str | Path) -> Questions:
    """roles.toml [questions], each listed cue checked to be one of [agent]'s."""
    _listed_cues("questions", section, "agent", agent, ("phrases",), path)
    return Questions(phrases={p: float(agent["phrases"][p]) for p in section["phrases"]},
                     unasked_weight=float(section["unasked_weight"]))


def _answers(section: dict, customer: dict, path: str | Path) -> Answers:
    """roles.toml [answers], each listed cue checked to be one of [customer]'s."""
    _listed_cues("answers", section, "customer", customer, ("phrases", "patterns"), path)
    return Answers(phrases={p: float(customer["phrases"][p]) for p in section["phrases"]},
                   patterns=tuple((re.compile(p), float(customer["patterns"][p]))
                                  for p in section["patterns"]),
                   unanswered_weight=float(section["unanswered_weight"]))


HAN = re.compile(r"[\u4e00-\u9fff]")  # one Chinese character


# Sound pairs that ASR (and southern speakers) confuse: flat vs retroflex initials, front vs back
# nasal finals. Both sides of a pinyin match are folded with these, so 征信 (zheng xin) still
# matches 真信 (zhen xin) and 手头 (shou tou) matches 收头.
_FUZZY = ((re.compile(r"\b([zcs])h"), r"\1"), (re.compile(r"([aei])ng\b"), r"\1n"),
          (re.compile(r"ing\b"), "in"))


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    """Fuzzy toneless pinyin with spaces around each syllable ('' when pypinyin is missing)."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a declared dependency
        return ""
    syllables = (s if s.isalpha() else "|" for s in lazy_pinyin(text) if s.strip())
    out = " " + " ".join(syllables) + " "
    for pat, rep in _FUZZY:
        out = pat.sub(rep, out)
    return out


@lru_cache(maxsize=4096)
def _word_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The (start, end) character spans of the jieba words of ``text`` (the rules' tokenizer)."""
    from auditor.compliance.tokens import tokenize

    spans, pos = [], 0
    for word in tokenize(text):
        spans.append((pos, pos + len(word)))
        pos += len(word)
    return tuple(spans)


def _occurs_as_words(text: str, phrase: str) -> bool:
    """Does ``phrase`` occur in ``text`` other than as the joint of two other words?

    An occurrence does not count when it starts inside one word and ends inside another (是我
    in 就是 + 我们): that is the end of one word and the start of the next, not the phrase. An
    occurrence with either end on a word boundary, or inside one word (您 in 您好), counts:
    jieba's words are often longer than a cue (不在家, 我查), so a stricter rule would drop cues
    that are really said.
    """
    start = text.find(phrase)
    if start < 0:
        return False
    spans = _word_spans(text)
    starts = {a for a, _ in spans}
    ends = {b for _, b in spans}
    while start >= 0:
        end = start + len(phrase)
        inside_one = any(a <= start and end <= b for a, b in spans)
        if inside_one or start in starts or end in ends:
            return True
        start = text.find(phrase, start + 1)
    return False


def _phrase_hits(text: str, phrases: dict[str, float], pinyin_min: int = 2,
                 scale: dict[str, float] | None = None) -> tuple[float, float]:
    """Summed weights of the phrases in ``text``: (found as written, found by their sound only).

    Phrases of ``pinyin_min`` or more Chinese characters also match on fuzzy pinyin (short
    everyday phrases like 是我 would match across word boundaries, 故事我们 → shi wo, so each
    role sets its own minimum). A phrase found in the text as written counts only where it does
    not cut a word (``_occurs_as_words``). ``scale`` (phrase → factor) weighs listed phrases
    down."""
    written = by_sound = 0.0
    py = None
    for phrase, weight in phrases.items():
        weight *= scale.get(phrase, 1.0) if scale else 1.0
        if phrase in text:
            if _occurs_as_words(text, phrase):
                written += weight
        elif len(HAN.findall(phrase)) >= pinyin_min:
            py = _pinyin(text) if py is None else py
            if py and _pinyin(phrase) in py:
                by_sound += weight
    return written, by_sound


def _role_evidence(text: str, phrases: dict[str, float],
                   patterns: tuple[tuple[re.Pattern[str], float], ...], pinyin_min: int,
                   scale: dict[str, float]) -> float:
    """One role's cue weight in ``text``: its phrases and patterns, each weighed by ``scale``
    (keyed by phrase or pattern source, missing = 1).

    A phrase found only by its sound counts only beside a cue of the same role found as
    written (a phrase or a pattern). A misheard collection line keeps its other words (于七会
    影响您的个人真心: 会影响, 您), but in ordinary speech a sound-alike of two syllables is
    mostly chance: 企业的 sounds ye de (也得), and on the tuning real-voice calls with the
    recogniser's text that one line named the other party's whole voice agent."""
    written, by_sound = _phrase_hits(text, phrases, pinyin_min, scale)
    written += sum(wt * scale.get(pat.pattern, 1.0) for pat, wt in patterns if pat.search(text))
    return written + by_sound if written > 0 else 0.0


def cue_score(text: str, roles: Roles | None = None, answered: bool = True) -> float:
    """Role evidence of one utterance's text: positive says agent, negative says customer,
    at most ``cue_cap`` (roles.toml [prior]) either way. ``answered``: whether the line follows
    a question; if not, the answer cues (roles.toml [answers]) count only their
    ``unanswered_weight``. The question cues (roles.toml [questions]) count in full only when
    the line itself is a question. A cue found by its sound alone counts only beside one found
    as written (``_role_evidence``)."""
    roles = roles or load_roles()
    text = text or ""
    qs, ans = roles.questions, roles.answers
    unasked = {} if not qs.phrases or is_question(text, roles) else \
        dict.fromkeys(qs.phrases, qs.unasked_weight)  # a question's cue in a line that asks not
    agent = _role_evidence(text, roles.agent_phrases, roles.agent_patterns,
                           roles.agent_pinyin_min, unasked)
    unanswered = {} if answered else dict.fromkeys(  # an answer cue out of a question's reach
        [*ans.phrases, *(pat.pattern for pat, _wt in ans.patterns)], ans.unanswered_weight)
    customer = _role_evidence(text, roles.customer_phrases, roles.customer_patterns,
                              roles.customer_pinyin_min, unanswered)
    return float(np.clip(agent - customer, -roles.cue_cap, roles.cue_cap))


def line_cues(texts: list[str], roles: Roles | None = None) -> list[float]:
    """``cue_score`` of consecutive lines, each answer cue read against the line before it
    (a line answers when the previous one is a question)."""
    roles = roles or load_roles()
    return [cue_score(t, roles, answered=k > 0 and is_question(texts[k - 1], roles))
            for k, t in enumerate(texts)]


# --------------------------------------------------------------------------- turn-taking


_CONTINUES = re.compile(r"[,，、:：;；]\s*$")


def is_question(text: str, roles: Roles | None = None) -> bool:
    """Does the utterance end as a question (a question mark, or a question word/particle)?"""
    roles = roles or load_roles()
    text = (text or "").strip()
    return text.endswith(("?", "？")) or any(p.search(text) for p in roles.turns.question_patterns)


def is_backchannel(text: str, roles: Roles | None = None) -> bool:
    """Is the utterance only a short acknowledgement (嗯, 好, 对) said into the other's turn?"""
    roles = roles or load_roles()
    return any(p.search((text or "").strip()) for p in roles.turns.backchannel_patterns)


def change_probability(prev: dict, nxt: dict, roles: Roles | None = None) -> float:
    """Probability that ``nxt`` is spoken by the other party than ``prev`` (see ``Turns``)."""
    turns = (roles or load_roles()).turns
    gap = float(nxt["start"]) - float(prev["end"])
    text = str(prev.get("text", "") or "")
    if is_question(text, roles):
        return turns.after_question
    if _CONTINUES.search(text) and gap < turns.continuation_gap_s:
        return turns.continuation
    if is_backchannel(text, roles) or is_backchannel(str(nxt.get("text", "") or ""), roles):
        # A short 嗯 / 好 / 对 is said into the other party's turn, which goes on after it.
        return turns.around_backchannel
    if gap < turns.touch_gap_s:
        return turns.touching
    long_s = turns.long_line_s
    if min(prev["end"] - prev["start"], nxt["end"] - nxt["start"]) >= long_s:
        # Two long stretches in a row: one party explaining; answers are mostly short.
        return turns.between_long_lines
    return turns.change


def turn_evidence(prev: dict, nxt: dict, roles: Roles | None = None) -> bool:
    """Whether the dialogue itself says the turn changes between ``prev`` and ``nxt``: a
    question answered by a short line (shorter than a long line, ``long_line_s``: one who goes on
    after their own question goes on at length), or a bare backchannel (对 / 嗯 / 好的) on either
    side. This holds however the voices sound, so a call whose voices do not split keeps these
    boundaries."""
    turns = (roles or load_roles()).turns
    prev_text = str(prev.get("text", "") or "")
    answered = is_question(prev_text, roles) and \
        float(nxt["end"]) - float(nxt["start"]) < turns.long_line_s
    return (answered or is_backchannel(prev_text, roles)
            or is_backchannel(str(nxt.get("text", "") or ""), roles))


def smooth_turns(evidence: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Posterior agent-vs-customer log-odds of each utterance given all utterances' evidence.

    A two-state hidden Markov chain over the utterances in time order: ``evidence[i]`` is the
    log-likelihood ratio (agent : customer) of utterance i on its own, ``change[i]`` the
    probability that the speaker changes between utterances i and i + 1. Forward-backward, so a
    line without cues takes its label from its neighbours only as far as the turn-taking says.
    """
    n = len(evidence)
    if n == 0:
        return np.zeros(0)
    half = np.clip(np.asarray(evidence, dtype=float), -40, 40) / 2
    lik = np.exp(np.stack([half, -half], axis=1) - np.abs(half)[:, None])  # (agent, customer)
    fwd = np.zeros((n, 2))
    bwd = np.ones((n, 2))
    fwd[0] = lik[0] / lik[0].sum()
    for i in range(1, n):
        p = float(change[i - 1])
        prev = np.array([(1 - p) * fwd[i - 1, 0] + p * fwd[i - 1, 1],
                         p * fwd[i - 1, 0] + (1 - p) * fwd[i - 1, 1]])
        f = lik[i] * prev
        fwd[i] = f / f.sum()
    for i in range(n - 2, -1, -1):
        p = float(change[i])
        nxt = lik[i + 1] * bwd[i + 1]
        b = np.array([(1 - p) * nxt[0] + p * nxt[1], p * nxt[0] + (1 - p) * nxt[1]])
        bwd[i] = b / b.sum()
    post = np.maximum(fwd * bwd, 1e-300)
    return np.clip(np.log(post[:, 0]) - np.log(post[:, 1]), -40, 40)

