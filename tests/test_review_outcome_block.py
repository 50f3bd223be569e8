"""The review page's outcome block as the browser builds it: `renderOutcome` of call.js, run in
Node against a minimal DOM on the JSON the server sends (`call_view`), says "uncertain" for a
promise resting on low-confidence text and lists the evidence lines. Skipped without Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parents[1] / "auditor" / "review" / "static"
NODE = shutil.which("node")

DOM = r"""
"use strict";
function Node(tag) {
  this.tag = tag; this.children = []; this.attrs = {}; this.className = ""; this.hidden = false;
  this.textContent = ""; this.dataset = {}; this.listeners = {};
  const self = this;
  this.classList = { add(c) { self.className += (self.className ? " " : "") + c; } };
}
Node.prototype.appendChild = function (c) { this.children.push(c); return c; };
Node.prototype.replaceChildren = function () { this.children = []; };
Node.prototype.setAttribute = function (k, v) { this.attrs[k] = v; };
Node.prototype.addEventListener = function (k, f) { this.listeners[k] = f; };
const box = new Node("section");
const document = { createElement: (t) => new Node(t), getElementById: () => box };
const seeks = [];
function seek(t) { seeks.push(t); }
function dump(n) {
  return { tag: n.tag, id: n.attrs.id || null, cls: n.className, text: n.textContent,
           clickable: !!n.listeners.click, children: n.children.map(dump) };
}
"""


def _block(source: str, start: str, end: str) -> str:
    a = source.index(start)
    return source[a:source.index(end, a)]


def _render(view: dict[str, Any]) -> dict[str, Any]:
    common = (STATIC / "common.js").read_text(encoding="utf-8")
    page = (STATIC / "call.js").read_text(encoding="utf-8")
    script = "\n".join([
        DOM,
        _block(common, "function el(", "function svgEl("),
        _block(common, "function clock(", "\n}\n") + "\n}\n",
        "let call = " + json.dumps(view, ensure_ascii=False) + ";",
        _block(page, "const RESULT_LABELS", "function renderMetrics("),
        "renderOutcome();",
        "console.log(JSON.stringify({ box: dump(box), hidden: box.hidden, seeks }));",
    ])
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=30,
                         check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _by_id(node: dict[str, Any], wanted: str) -> dict[str, Any] | None:
    if node["id"] == wanted:
        return node
    for child in node["children"]:
        found = _by_id(child, wanted)
        if found:
            return found
    return None


def _view(uncertain: bool) -> dict[str, Any]:
    from auditor.report.uncertainty import outcome_uncertainty

    promise = {"amount": 3000.0, "due": "2026-11-27", "due_text": "下周五", "installments": None,
               "start": 13.5, "end": 16.0, "evidence": "行吧，我下周五还三千元。",
               "confidence": 0.2 if uncertain else 0.95, "uncertain": uncertain,
               "uncertain_reasons": ["low_confidence_text"] if uncertain else []}
    outcome = {"result": "promise_to_pay", "promise": promise,
               "customer": {"emotion": "hostile", "complaint_threat": True, "refusal": False},
               "evidence": [{"kind": "complaint_threat", "speaker": "customer", "start": 7.5,
                             "end": 10.0, "text": "我要投诉你们！", "matched": "投诉"}],
               "uncertain": uncertain}
    return {"outcome": outcome, "outcome_note": outcome_uncertainty(outcome),
            "promise_status": "pending"}


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_an_uncertain_promise_says_so_in_the_outcome_block() -> None:
    shown = _render(_view(uncertain=True))
    assert not shown["hidden"]
    note = _by_id(shown["box"], "outcome-uncertain")
    assert note is not None
    assert note["text"] == "? uncertain: low-confidence text, confidence 0.20"
    assert "2026-11-27" in _by_id(shown["box"], "outcome-promise")["text"]


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_a_certain_promise_has_no_uncertain_note_and_the_evidence_is_listed() -> None:
    shown = _render(_view(uncertain=False))
    assert _by_id(shown["box"], "outcome-uncertain") is None
    evidence = _by_id(shown["box"], "outcome-evidence")
    (item,) = evidence["children"]
    assert item["text"] == "00:07.5 complaint_threat (投诉)" and item["clickable"]
