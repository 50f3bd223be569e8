"""Who answered and what they did: no_contact, wrong_party, dispute (or neither).

Each test returns the line that decided it and the words matched, or None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .levels import voices
from .sounds import heard_as
from .text import first_match, han_count, starts_with

PROMISE, NO_PROMISE, REFUSAL = "promise_to_pay", "no_promise", "refusal"
DISPUTE, WRONG_PARTY, NO_CONTACT = "dispute", "wrong_party", "no_contact"
RESULTS = (PROMISE, NO_PROMISE, REFUSAL, DISPUTE, WRONG_PARTY, NO_CONTACT)

Finding = tuple[Mapping | None, str]

_ASKED = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:先生|女士|小姐|本人)")
_IDENTITY_Q = re.compile(r"本人|是[\u4e00-\u9fff]{2,4}吗|是吧")
_SELF_NAME = re.compile(r"我(?:是|叫)([\u4e00-\u9fff]{2,3})(?=[，。！？,.!?\s]|$)")
_AFFIRM = ("对", "是", "嗯", "没错", "我就是")
_NOT_NAMES = ("本人", "他", "她", "真", "不", "这", "那", "说", "想", "要")


def _customer_lines(utts: Sequence[Mapping]) -> list[Mapping]:
    """The customer's lines; the unattributed ones when no line is the customer's."""
    lines = [u for u in utts if u.get("speaker") == "customer"]
    return lines or [u for u in utts if u.get("speaker") != "agent"]


def _said(text: str) -> int:
    return han_count(text.replace("喂", ""))


def no_contact(utts: Sequence[Mapping], voice: Mapping | None,
               cfg: dict[str, Any]) -> Finding | None:
    """Voicemail or nobody: one voice, no customer words, or a machine / message cue with hardly
    any words of a person beside it."""
    if voices(voice) == 1:
        return (utts[0] if utts else None, "one voice")
    cues = cfg["result"]["no_contact"]
    lines = _customer_lines(utts)
    if sum(_said(u.get("text") or "") for u in lines) == 0:
        return (utts[0] if utts else None, "no customer speech")
    hit = next(((u, m) for u in utts if (m := first_match(u.get("text") or "", cues))), None)
    if hit is None:
        return None
    person = sum(_said(t) for u in lines if not first_match(t := u.get("text") or "", cues))
    return hit if person < 4 else None


def _identity_reply(utts: Sequence[Mapping]) -> Finding | None:
    """The reply to the agent's first identity question, when it denies or names someone else."""
    for i, u in enumerate(utts):
        text = u.get("text") or ""
        if u.get("speaker") != "agent" or not _IDENTITY_Q.search(text):
            continue
        reply = next((v for v in utts[i + 1:i + 3] if v.get("speaker") == "customer"), None)
        if reply is None:
            return None
        r = (reply.get("text") or "").strip()
        if starts_with(r, ("不是",)) and not r.startswith(("不是我借", "不是我的")):
            return reply, "不是"
        if starts_with(r, _AFFIRM):
            return None
        asked = _ASKED.findall(text)
        m = _SELF_NAME.search(r)
        if asked and m and not m.group(1).startswith(_NOT_NAMES) \
                and m.group(1)[0] != asked[0][0]:
            return reply, m.group()
        return None
    return None


def wrong_party(utts: Sequence[Mapping], cfg: dict[str, Any]) -> Finding | None:
    """The person on the line is not the debtor: a denial, or naming themselves as someone else."""
    r = cfg["result"]
    for u in _customer_lines(utts):
        m = first_match(u.get("text") or "", r["wrong_party"],
                        [*r["dispute"], *r["wrong_party_unless"]])
        if m:
            return u, m
    return _identity_reply(utts)


_CLAUSE = re.compile(r"[，,。；;！!？?\s]")


def denied_borrowing(text: str, cfg: dict[str, Any]) -> str | None:
    """A denial of the loan by its structure: a negation (没, 根本没 ...) and, later in the same
    clause and within `dispute_window` characters, the borrowing verb (没在你们那儿借过), the verb
    also by its sound."""
    r = cfg["result"]
    window = int(r["dispute_window"])
    text = heard_as(text, r["dispute_verbs"])  # 借国 heard for 借过
    for clause in _CLAUSE.split(text):
        for neg in sorted(r["dispute_negators"], key=len, reverse=True):
            i = clause.find(neg)
            if i < 0:
                continue
            tail = clause[i + len(neg):i + len(neg) + window]
            verb = next((v for v in r["dispute_verbs"] if v in tail), None)
            if verb:
                return clause[i:i + len(neg) + tail.index(verb) + len(verb)]
    return None


def dispute(utts: Sequence[Mapping], cfg: dict[str, Any]) -> Finding | None:
    """The customer's words disputing the debt, if any: a dispute phrase, or a denial of the loan
    by its structure."""
    for u in _customer_lines(utts):
        text = u.get("text") or ""
        m = first_match(text, cfg["result"]["dispute"]) or denied_borrowing(text, cfg)
        if m:
            return u, m
    return None
