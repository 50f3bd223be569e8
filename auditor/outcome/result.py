"""Who answered and what they did: no_contact, wrong_party, dispute, refusal (or neither)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .levels import voices
from .text import first_match, han_count, starts_with

PROMISE, NO_PROMISE, REFUSAL = "promise_to_pay", "no_promise", "refusal"
DISPUTE, WRONG_PARTY, NO_CONTACT = "dispute", "wrong_party", "no_contact"
RESULTS = (PROMISE, NO_PROMISE, REFUSAL, DISPUTE, WRONG_PARTY, NO_CONTACT)

_ASKED = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:先生|女士|小姐|本人)")
_IDENTITY_Q = re.compile(r"本人|是[\u4e00-\u9fff]{2,4}吗|是吧")
_SELF_NAME = re.compile(r"我(?:是|叫)([\u4e00-\u9fff]{2,3})(?=[，。！？,.!?\s]|$)")
_AFFIRM = ("对", "是", "嗯", "没错", "我就是")
_NOT_NAMES = ("本人", "他", "她", "真", "不", "这", "那", "说", "想", "要")


def _customer_lines(utts: Sequence[Mapping]) -> list[Mapping]:
    lines = [u for u in utts if u.get("speaker") == "customer"]
    return lines or [u for u in utts if u.get("speaker") not in ("agent",)]


def is_no_contact(utts: Sequence[Mapping], voice: Mapping | None, cfg: dict[str, Any]) -> bool:
    """Voicemail or nobody: one voice, no customer words, or a machine/message cue with
    hardly any customer words."""
    if voices(voice) == 1:
        return True
    cues = cfg["result"]["no_contact"]
    lines = [u.get("text") or "" for u in _customer_lines(utts)]
    said = sum(han_count(t.replace("喂", "")) for t in lines)
    if said == 0:
        return True
    if not any(first_match(u.get("text") or "", cues) for u in utts):
        return False
    # Words of a person, not of a machine: lines holding a machine/message cue do not count.
    return sum(han_count(t.replace("喂", "")) for t in lines if not first_match(t, cues)) < 4


def _identity_reply_wrong(utts: Sequence[Mapping]) -> bool:
    for i, u in enumerate(utts):
        text = u.get("text") or ""
        if u.get("speaker") != "agent" or not _IDENTITY_Q.search(text):
            continue
        reply = next((v for v in utts[i + 1:i + 3] if v.get("speaker") == "customer"), None)
        if reply is None:
            return False
        r = (reply.get("text") or "").strip()
        if starts_with(r, ("不是",)) and not r.startswith(("不是我借", "不是我的")):
            return True
        if starts_with(r, _AFFIRM):
            return False
        asked = _ASKED.findall(text)
        m = _SELF_NAME.search(r)
        if asked and m and not m.group(1).startswith(_NOT_NAMES) \
                and m.group(1)[0] != asked[0][0]:
            return True
        return False
    return False


def is_wrong_party(utts: Sequence[Mapping], cfg: dict[str, Any]) -> bool:
    """The person on the line is not the debtor: a denial, or naming themselves as someone else."""
    r = cfg["result"]
    for u in _customer_lines(utts):
        if first_match(u.get("text") or "", r["wrong_party"], r["dispute"]):
            return True
    return _identity_reply_wrong(utts)


def disputes(utts: Sequence[Mapping], cfg: dict[str, Any]) -> str | None:
    """The customer's words disputing the debt, if any."""
    for u in _customer_lines(utts):
        m = first_match(u.get("text") or "", cfg["result"]["dispute"])
        if m:
            return m
    return None
