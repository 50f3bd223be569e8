// The call page: player, transcript following playback, timeline, flags and verdicts.
// The transcript itself is rendered (escaped) by the server; everything else is built here
// with textContent only.
"use strict";

const callId = document.body.dataset.callId;
const audio = document.getElementById("audio");
const playButton = document.getElementById("play");
const transcriptBox = document.getElementById("transcript");
const uttNodes = [...document.querySelectorAll("#transcript li.utt")];
const utts = uttNodes.map((node) => ({
  node: node,
  idx: Number(node.dataset.idx),
  start: Number(node.dataset.start),
  end: Number(node.dataset.end),
}));
const SEVERITY_COLOURS = { critical: "#c62828", major: "#ef6c00", minor: "#f9a825", info: "#1e88e5" };
const LANES = ["agent", "customer", "unknown"];

let call = null;
let selected = -1; // index into call.flags
let currentUtts = new Set();
let playhead = null;
let timelineScale = null;

// ---------------------------------------------------------------- audio

function seek(seconds, andPlay) {
  const t = Math.max(0, seconds || 0);
  const apply = () => {
    audio.currentTime = t;
    if (andPlay) audio.play().catch(() => {});
    followPlayback();
  };
  if (audio.readyState >= 1) apply();
  else audio.addEventListener("loadedmetadata", apply, { once: true });
}

function togglePlay() {
  if (audio.paused) audio.play().catch((err) => showError("Cannot play: " + err.message));
  else audio.pause();
}

function duration() {
  return (call && call.duration_s) || (isFinite(audio.duration) ? audio.duration : 0) || 1;
}

function followPlayback() {
  const t = audio.currentTime;
  document.getElementById("clock").textContent = clock(t) + " / " + clock(duration());
  const now = new Set(utts.filter((u) => u.start <= t && t < u.end).map((u) => u.idx));
  const changed = now.size !== currentUtts.size || [...now].some((i) => !currentUtts.has(i));
  if (changed) {
    for (const u of utts) u.node.classList.toggle("current", now.has(u.idx));
    currentUtts = now;
    const first = utts.find((u) => now.has(u.idx));
    if (first) scrollIntoBox(first.node);
  }
  if (playhead && timelineScale) {
    const x = timelineScale(t);
    playhead.setAttribute("x1", x);
    playhead.setAttribute("x2", x);
  }
}

function scrollIntoBox(node) {
  // Scroll the transcript box only (not the page) so the line sits in its upper third.
  const box = transcriptBox;
  const top = node.offsetTop - box.offsetTop;
  const visible = top >= box.scrollTop && top + node.offsetHeight <= box.scrollTop + box.clientHeight;
  if (!visible) box.scrollTo({ top: Math.max(0, top - box.clientHeight / 3), behavior: "smooth" });
}

function tick() {
  followPlayback();
  if (!audio.paused) requestAnimationFrame(tick);
}

audio.addEventListener("play", () => { playButton.textContent = "❚❚ Pause"; requestAnimationFrame(tick); });
audio.addEventListener("pause", () => { playButton.textContent = "▶ Play"; followPlayback(); });
audio.addEventListener("seeked", followPlayback);
audio.addEventListener("timeupdate", followPlayback);
audio.addEventListener("loadedmetadata", followPlayback);
audio.addEventListener("error", () => {
  showError("The recording cannot be played: it is missing, has changed since it was audited, " +
    "or the browser cannot decode it.");
});
playButton.addEventListener("click", togglePlay);
document.getElementById("speed").addEventListener("change", (event) => {
  audio.playbackRate = Number(event.target.value);
});

for (const u of utts) {
  u.node.addEventListener("click", () => seek(u.start, true));
}

// ---------------------------------------------------------------- flags

function selectFlag(i, andSeek) {
  if (!call || !call.flags.length) return;
  selected = Math.max(0, Math.min(call.flags.length - 1, i));
  document.querySelectorAll("#flags li.flag").forEach((node, j) => {
    node.classList.toggle("selected", j === selected);
  });
  document.querySelectorAll("#timeline .flag-mark").forEach((node) => {
    node.classList.toggle("selected", Number(node.dataset.i) === selected);
  });
  const node = document.querySelector('#flags li.flag[data-i="' + selected + '"]');
  if (node) node.scrollIntoView({ block: "nearest" });
  if (andSeek) seek(call.flags[selected].start, true);
}

function stepFlag(direction) {
  if (!call || !call.flags.length) return;
  if (selected < 0) {
    const t = audio.currentTime;
    const order = call.flags.map((f, i) => i);
    const next = direction > 0
      ? order.find((i) => call.flags[i].start > t + 0.05)
      : order.reverse().find((i) => call.flags[i].start < t - 0.05);
    selectFlag(next === undefined ? (direction > 0 ? 0 : call.flags.length - 1) : next, true);
  } else {
    selectFlag(selected + direction, true);
  }
}

function flagMeasures(flag) {
  const parts = [];
  for (const u of flag.utterances || []) {
    const bits = [];
    if (u.rate_cpm !== null && u.rate_cpm !== undefined) bits.push(Math.round(u.rate_cpm) + " 字/分");
    if (u.loudness_dbfs !== null && u.loudness_dbfs !== undefined) bits.push(u.loudness_dbfs.toFixed(1) + " dBFS");
    if (bits.length) parts.push(u.speaker + " line " + (u.idx + 1) + ": " + bits.join(", "));
  }
  return parts;
}

function reviewLine(review) {
  if (!review || review.verdict === "unreviewed") return "Not reviewed yet";
  let text = VERDICT_LABELS[review.verdict] + " by " + (review.reviewer || "?");
  if (review.reviewed_at) text += " at " + review.reviewed_at.replace("T", " ").replace("+00:00", " UTC");
  return text;
}

function renderFlags() {
  const list = document.getElementById("flags");
  list.replaceChildren();
  document.getElementById("flag-count").textContent = call.flags.length
    ? "(" + call.flags.filter((f) => f.review.verdict === "unreviewed").length + " of " +
      call.flags.length + " to review)"
    : "";
  call.flags.forEach((flag, i) => {
    const review = flag.review || { verdict: "unreviewed" };
    const li = el("li", {
      class: "flag " + flag.severity + " v-" + review.verdict + (i === selected ? " selected" : "") +
        (flag.uncertain ? " uncertain" : ""),
      dataset: { i: String(i), flagId: String(flag.flag_id) },
    });
    const head = el("div", { class: "flag-head" });
    head.appendChild(el("span", { class: "sev " + flag.severity }, flag.severity));
    head.appendChild(el("b", { class: "cat" }, flag.category));
    if (flag.uncertain) {
      head.appendChild(el("span", {
        class: "unsure", title: "The evidence rests on low-confidence text or an unsettled speaker: listen before believing",
      }, "? uncertain"));
    }
    head.appendChild(el("button", { type: "button", class: "jump", title: "Play from here" },
      clock(flag.start) + "–" + clock(flag.end)));
    head.appendChild(el("span", { class: "who" }, flag.speaker || ""));
    li.appendChild(head);
    if (flag.evidence) li.appendChild(el("div", { class: "evidence" }, flag.evidence));
    const detail = [flag.rule, flag.matched].filter(Boolean).join(" · ");
    if (detail) li.appendChild(el("div", { class: "detail" }, detail));
    if (flag.uncertain && (flag.uncertain_reasons || []).length) {
      li.appendChild(el("div", { class: "unsure-why" },
        "uncertain: " + flag.uncertain_reasons.map((r) => r.replace(/_/g, " ")).join(", ")));
    }
    for (const line of flagMeasures(flag)) li.appendChild(el("div", { class: "measure" }, line));

    const form = el("form", { class: "verdict" });
    form.appendChild(el("textarea", {
      name: "comment", rows: "1", maxlength: "2000", placeholder: "comment (optional)",
    }, review.comment || ""));
    const buttons = el("div", { class: "buttons" });
    buttons.appendChild(el("button", { type: "submit", value: "confirmed", class: "confirm" }, "✔ Confirmed"));
    buttons.appendChild(el("button", { type: "submit", value: "false_alarm", class: "false-alarm" }, "✘ False alarm"));
    if (review.verdict !== "unreviewed") {
      buttons.appendChild(el("button", { type: "submit", value: "unreviewed", class: "undo" }, "undo"));
    }
    form.appendChild(buttons);
    form.appendChild(el("div", { class: "status" }, reviewLine(review)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      saveVerdict(i, event.submitter ? event.submitter.value : "confirmed", form.elements.comment.value);
    });
    li.appendChild(form);
    li.addEventListener("click", (event) => {
      if (event.target.closest("form")) return;
      selectFlag(i, true);
    });
    list.appendChild(li);
  });
  if (!call.flags.length) list.appendChild(el("li", { class: "empty" }, "No flags on this call."));
}

function signer() {
  // The signed-in reviewer (the server signs with it anyway), else the typed name.
  if (me && me.reviewer) return me.reviewer;
  const reviewer = document.getElementById("reviewer").value.trim();
  if (!reviewer) {
    showError(me && me.sign_in_required
      ? "Sign in with your reviewer token first: every verdict is signed."
      : "Type your name in Reviewer first: every verdict is signed.");
    document.getElementById("reviewer").focus();
  }
  return reviewer;
}

async function refreshHistory() {
  try {
    const fresh = await getJSON("/api/calls/" + encodeURIComponent(callId));
    call.history = fresh.history;
    renderHistory();
  } catch (err) {
    showError("Could not reload the verdict history: " + err.message);
  }
}

async function saveVerdict(i, verdict, comment) {
  const flag = call.flags[i];
  const reviewer = verdict === "unreviewed" ? ((me && me.reviewer) ||
    document.getElementById("reviewer").value.trim()) : signer();
  if (verdict !== "unreviewed" && !reviewer) return;
  try {
    const result = await postJSON("/api/flags/" + flag.flag_id + "/review", {
      verdict: verdict, reviewer: reviewer, comment: comment,
    });
    flag.review = result.flag;
    call.scores = result.scores;
    showError("");
    renderFlags();
    renderScores();
    renderTimeline();
    refreshHistory();
  } catch (err) {
    showError("The verdict was not saved: " + err.message);
  }
}

// ---------------------------------------------------------------- spot check, misses, history

function when(stamp) {
  return stamp ? stamp.replace("T", " ").replace("+00:00", " UTC") : "";
}

function renderSpot() {
  const box = document.getElementById("spot");
  box.replaceChildren();
  const spot = call.spot_check;
  box.hidden = !spot;
  if (!spot) return;
  box.appendChild(el("b", {}, "Spot check"));
  box.appendChild(el("span", {}, " This call raised no flag and was drawn at random. Listen to " +
    "it whole, mark any violation the auditor missed below, then record the check."));
  const status = el("div", { class: "status", id: "spot-status" },
    spot.checked_at ? "Checked by " + spot.checked_by + " at " + when(spot.checked_at) : "Not checked yet");
  box.appendChild(status);
  const button = el("button", { type: "button", id: "spot-done", class: spot.checked_at ? "undo" : "confirm" },
    spot.checked_at ? "reopen" : "✔ Listened to it whole");
  button.addEventListener("click", () => saveSpot(!!spot.checked_at));
  box.appendChild(button);
  box.classList.toggle("done", !!spot.checked_at);
}

async function saveSpot(reopen) {
  const reviewer = reopen ? "" : signer();
  if (!reopen && !reviewer) return;
  try {
    const result = await postJSON("/api/calls/" + encodeURIComponent(callId) + "/spot-check", {
      reviewer: reviewer, reopen: reopen ? "yes" : "",
    });
    call.spot_check = result.spot_check;
    showError("");
    renderSpot();
  } catch (err) {
    showError("The spot check was not saved: " + err.message);
  }
}

function renderMissed() {
  const list = document.getElementById("missed");
  list.replaceChildren();
  document.getElementById("missed-count").textContent = call.missed.length ? "(" + call.missed.length + ")" : "";
  for (const m of call.missed) {
    const li = el("li", { class: "missed-mark", dataset: { id: String(m.id) } });
    const head = el("div", { class: "flag-head" });
    head.appendChild(el("b", { class: "cat" }, m.category));
    if (m.at_s !== null && m.at_s !== undefined) {
      const jump = el("button", { type: "button", class: "jump", title: "Play from here" }, clock(m.at_s));
      jump.addEventListener("click", () => seek(m.at_s, true));
      head.appendChild(jump);
    }
    head.appendChild(el("span", { class: "who" }, "by " + (m.reviewer || "?") + " · " + when(m.created_at)));
    li.appendChild(head);
    if (m.comment) li.appendChild(el("div", { class: "evidence" }, m.comment));
    list.appendChild(li);
  }
}

async function saveMissed(form) {
  const reviewer = signer();
  if (!reviewer) return;
  try {
    const result = await postJSON("/api/calls/" + encodeURIComponent(callId) + "/missed", {
      category: form.elements.category.value,
      at: form.elements.at.value,
      comment: form.elements.comment.value,
      reviewer: reviewer,
    });
    call.missed = result.missed;
    form.elements.comment.value = "";
    form.elements.at.value = "";
    showError("");
    renderMissed();
  } catch (err) {
    showError("The missed violation was not saved: " + err.message);
  }
}

function renderHistory() {
  const list = document.getElementById("history");
  list.replaceChildren();
  const names = new Map(call.flags.map((f) => [f.rule + "@" + f.start, f.category]));
  for (const h of call.history || []) {
    const what = (h.category || names.get(h.rule + "@" + h.start) || h.rule) + " at " + clock(h.start);
    let text = when(h.at) + " · " + (h.reviewer || "?") + (h.signed_in ? " (signed in)" : "") + ": " +
      what + ": " + VERDICT_LABELS[h.old] + " → " + VERDICT_LABELS[h.new];
    if (h.comment) text += " · " + h.comment;
    list.appendChild(el("li", { class: "history-entry" }, text));
  }
  if (!(call.history || []).length) list.appendChild(el("li", { class: "empty" }, "No verdict yet."));
}

function setupMissedForm() {
  const form = document.getElementById("missed-form");
  const select = form.elements.category;
  for (const c of call.categories || []) select.appendChild(el("option", { value: c }, c));
  document.getElementById("missed-now").addEventListener("click", () => {
    form.elements.at.value = clock(audio.currentTime);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveMissed(form);
  });
}

function renderScores() {
  const box = document.getElementById("scores");
  box.replaceChildren();
  const s = call.scores;
  const part = (label, score, passed, id) => {
    const span = el("span", { class: "score " + (passed ? "pass" : "fail"), id: id });
    span.appendChild(el("small", {}, label));
    span.appendChild(el("b", {}, score === null ? "–" : score));
    span.appendChild(el("small", {}, passed ? "pass" : "fail"));
    return span;
  };
  box.appendChild(part("score", s.before, s.passed_before, "score-before"));
  box.appendChild(el("span", { class: "arrow" }, "→"));
  box.appendChild(part("after review", s.after, s.passed_after, "score-after"));
  const dismissed = call.flags.filter((f) => f.review.verdict === "false_alarm").length;
  box.appendChild(el("span", { class: "note" },
    dismissed ? dismissed + " false alarm" + (dismissed === 1 ? "" : "s") + " set aside" : "no false alarm marked"));
}

// ---------------------------------------------------------------- outcome (page header)

const RESULT_LABELS = {
  promise_to_pay: "Promise to pay", no_promise: "No promise", refusal: "Refusal",
  dispute: "Dispute", wrong_party: "Wrong party", no_contact: "No contact",
};

function renderOutcome() {
  const box = document.getElementById("outcome");
  const o = call.outcome;
  box.replaceChildren();
  if (!o) { box.hidden = true; return; }
  box.hidden = false;
  box.appendChild(el("b", { class: "result " + o.result, id: "outcome-result" },
    RESULT_LABELS[o.result] || o.result));
  const p = o.promise;
  if (p) {
    const parts = [];
    if (p.amount !== null && p.amount !== undefined) parts.push(p.amount.toLocaleString() + " yuan");
    if (p.installments) parts.push("first of " + p.installments + " instalments");
    parts.push("due " + (p.due || (p.due_text ? "“" + p.due_text + "” (no call start)" : "not named")));
    if (call.promise_status) parts.push(call.promise_status);
    const span = el("span", { class: "promise", id: "outcome-promise", title: p.evidence || "" },
      parts.join(" · "));
    if (p.start !== null && p.start !== undefined) {
      span.classList.add("seekable");
      span.addEventListener("click", () => seek(p.start, true));
    }
    box.appendChild(span);
  }
  // a promise resting on weak evidence (low-confidence text...) says so: listen first
  if (call.outcome_note) {
    box.appendChild(el("span", { class: "uncertain", id: "outcome-uncertain",
      title: "listen before believing" }, "? " + call.outcome_note));
  }
  const c = o.customer || {};
  const notes = ["customer " + (c.emotion || "calm")];
  if (c.complaint_threat) notes.push("threatened to complain");
  if (c.refusal) notes.push("refused");
  box.appendChild(el("span", { class: "customer " + (c.emotion || "calm"), id: "outcome-customer" },
    notes.join(" · ")));
  // the lines behind the result and the customer's state, each a jump to its time
  const evidence = (o.evidence || []).filter((e) => e && typeof e === "object");
  if (evidence.length) {
    const list = el("span", { class: "evidence", id: "outcome-evidence" });
    evidence.forEach((e) => {
      const item = el("span", { class: "seekable", title: e.text || "" },
        clock(e.start) + " " + e.kind + (e.matched ? " (" + e.matched + ")" : ""));
      if (e.start !== null && e.start !== undefined) {
        item.addEventListener("click", () => seek(e.start, true));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }
}

function renderMetrics() {
  const m = call.metrics || {};
  const box = document.getElementById("metrics");
  box.replaceChildren();
  box.appendChild(el("h2", {}, "Delivery"));
  const table = el("table", { class: "metrics-table" });
  const row = (cells, tag) => {
    const tr = el("tr");
    cells.forEach((c) => tr.appendChild(el(tag || "td", {}, c)));
    table.appendChild(tr);
  };
  const fmt = (v, d, unit) => (v === null || v === undefined ? "–" : Number(v).toFixed(d) + (unit || ""));
  row(["", "agent", "customer"], "th");
  const a = m.agent || {};
  const c = m.customer || {};
  row(["speech rate", fmt(a.speech_rate_cpm, 0, " 字/分"), fmt(c.speech_rate_cpm, 0, " 字/分")]);
  row(["loudness", fmt(a.loudness_dbfs, 1, " dBFS"), fmt(c.loudness_dbfs, 1, " dBFS")]);
  row(["pitch", fmt(a.pitch_median_hz, 0, " Hz"), fmt(c.pitch_median_hz, 0, " Hz")]);
  row(["talk time", fmt(a.talk_s, 1, " s"), fmt(c.talk_s, 1, " s")]);
  box.appendChild(table);
  box.appendChild(el("p", { class: "detail" },
    "talk ratio " + fmt(m.talk_ratio, 2) + " · longest silence " + fmt(m.longest_silence_s, 1, " s") +
    " · overlaps " + (m.overlap_count ?? 0) + " (" + fmt(m.overlap_s, 1, " s") + ")"));
}

// ---------------------------------------------------------------- trust in the transcript

function lineTrust(u) {
  // What the page says about one line: confidence when low, P(agent) when attributed (mono).
  const bits = [];
  if (u.low_confidence) bits.push("? confidence " + Number(u.confidence).toFixed(2));
  if (u.agent_posterior !== null && u.agent_posterior !== undefined) {
    bits.push("P(agent) " + Number(u.agent_posterior).toFixed(2));
  }
  if (u.speaker_unsettled && u.speaker !== "unknown") bits.push("speaker unsettled");
  return bits;
}

function renderTrust() {
  // Mark the server-rendered transcript lines; the text itself stays as the server escaped it.
  for (const node of uttNodes) {
    const u = call.utterances[Number(node.dataset.idx)];
    if (!u) continue;
    node.classList.toggle("low-confidence", Boolean(u.low_confidence));
    node.classList.toggle("unsettled", Boolean(u.speaker_unsettled));
    const who = node.querySelector(".who");
    if (!who) continue;
    const old = who.querySelector(".trust");
    if (old) old.remove();
    const bits = lineTrust(u);
    if (!bits.length) continue;
    const title = u.confidence === null || u.confidence === undefined
      ? "" : "recogniser confidence " + Number(u.confidence).toFixed(2);
    who.appendChild(el("span", { class: "trust", title: title }, bits.join(" · ")));
  }
  const box = document.getElementById("attribution");
  if (!box) return;
  const conf = call.attribution_confidence;
  box.hidden = conf === null || conf === undefined;
  if (!box.hidden) {
    box.textContent = "speaker attribution confidence " + Number(conf).toFixed(2);
    box.classList.toggle("low", conf < 0.5);
  }
}

// ---------------------------------------------------------------- timeline

function renderTimeline() {
  const box = document.getElementById("timeline");
  box.replaceChildren();
  const width = Math.max(320, box.clientWidth || 900);
  const lanes = LANES.filter((lane) => lane !== "unknown" || call.utterances.some((u) => u.speaker === "unknown"));
  const flagH = 26, laneH = 34, gap = 6, axisH = 18, left = 70, right = 10;
  const height = flagH + lanes.length * (laneH + gap) + axisH + 18;
  const total = duration();
  const x = (t) => left + (Math.max(0, Math.min(total, t)) / total) * (width - left - right);
  timelineScale = x;
  const svg = svgEl("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img" });
  const laneTop = (i) => flagH + 16 + i * (laneH + gap);
  const speechBottom = laneTop(lanes.length - 1) + laneH;

  // background lanes
  lanes.forEach((lane, i) => {
    svg.appendChild(svgEl("rect", { x: left, y: laneTop(i), width: width - left - right, height: laneH, class: "lane" }));
    const label = svgEl("text", { x: 6, y: laneTop(i) + laneH / 2 + 4, class: "lane-label" });
    label.textContent = lane;
    svg.appendChild(label);
  });
  const flagLabel = svgEl("text", { x: 6, y: flagH / 2 + 8, class: "lane-label" });
  flagLabel.textContent = "flags";
  svg.appendChild(flagLabel);

  const m = call.metrics || {};
  for (const s of m.silences || []) {
    const r = svgEl("rect", { x: x(s.start), y: laneTop(0), width: Math.max(1, x(s.end) - x(s.start)),
      height: speechBottom - laneTop(0), class: "silence" });
    const title = svgEl("title");
    title.textContent = "silence " + clock(s.start) + "–" + clock(s.end);
    r.appendChild(title);
    svg.appendChild(r);
  }

  // flagged utterances, to label them with rate and loudness
  const concerned = new Map();
  for (const f of call.flags) for (const u of f.utterances || []) concerned.set(u.idx, f);

  for (const u of call.utterances) {
    const lane = lanes.indexOf(u.speaker in { agent: 1, customer: 1 } ? u.speaker : "unknown");
    if (lane < 0) continue;
    // bar height follows loudness: -45 dBFS is a sliver, -10 dBFS fills the lane
    const loud = u.loudness_dbfs === null || u.loudness_dbfs === undefined ? -30 : u.loudness_dbfs;
    const frac = Math.max(0.2, Math.min(1, (loud + 45) / 35));
    const h = laneH * frac;
    const bar = svgEl("rect", {
      x: x(u.start), y: laneTop(lane) + laneH - h, width: Math.max(1.5, x(u.end) - x(u.start)), height: h,
      class: "utt-bar " + (lanes[lane]) + (concerned.has(u.idx) ? " concerned" : ""), "data-idx": u.idx,
    });
    const title = svgEl("title");
    const rate = u.rate_cpm === null || u.rate_cpm === undefined ? "–" : Math.round(u.rate_cpm);
    const trust = lineTrust(u);
    title.textContent = clock(u.start) + " " + u.speaker + ": " + rate + " 字/分, " + loud.toFixed(1) + " dBFS" +
      (trust.length ? " (" + trust.join(", ") + ")" : "") + "\n" + (u.text || "");
    bar.appendChild(title);
    bar.addEventListener("click", (event) => { event.stopPropagation(); seek(u.start, true); });
    svg.appendChild(bar);
    if (concerned.has(u.idx)) {
      const label = svgEl("text", { x: x(u.start) + 2, y: laneTop(lane) + 11, class: "measure-label" });
      label.textContent = rate + "字/分 " + loud.toFixed(1) + "dB";
      svg.appendChild(label);
    }
  }

  for (const o of m.overlaps || []) {
    const r = svgEl("rect", { x: x(o.start), y: laneTop(0), width: Math.max(1.5, x(o.end) - x(o.start)),
      height: speechBottom - laneTop(0), class: "overlap" });
    const title = svgEl("title");
    title.textContent = "overlap " + clock(o.start) + "–" + clock(o.end) + (o.started_by ? ", started by " + o.started_by : "");
    r.appendChild(title);
    svg.appendChild(r);
  }

  call.flags.forEach((f, i) => {
    const colour = SEVERITY_COLOURS[f.severity] || "#555";
    const start = f.start === null || f.start === undefined ? 0 : f.start;
    const end = f.end === null || f.end === undefined ? start : f.end;
    const g = svgEl("g", { class: "flag-mark v-" + f.review.verdict + (i === selected ? " selected" : "") +
      (f.uncertain ? " uncertain" : ""), "data-i": i });
    g.appendChild(svgEl("rect", { x: x(start), y: 6, width: Math.max(3, x(end) - x(start)), height: flagH - 4,
      fill: colour, rx: 3 }));
    g.appendChild(svgEl("line", { x1: x(start), x2: x(start), y1: 6, y2: speechBottom, stroke: colour, class: "flag-line" }));
    const title = svgEl("title");
    title.textContent = (f.uncertain ? "? uncertain " : "") + f.severity + " " + f.category + " at " +
      clock(start) + ": " + (f.evidence || "");
    g.appendChild(title);
    g.addEventListener("click", (event) => { event.stopPropagation(); selectFlag(i, true); });
    svg.appendChild(g);
  });

  // time axis
  const step = total > 600 ? 60 : total > 240 ? 30 : total > 60 ? 10 : 5;
  for (let t = 0; t <= total; t += step) {
    svg.appendChild(svgEl("line", { x1: x(t), x2: x(t), y1: speechBottom + 2, y2: speechBottom + 6, class: "tick" }));
    const label = svgEl("text", { x: x(t), y: speechBottom + 18, class: "tick-label" });
    label.textContent = clock(t).replace(/\.\d$/, "");
    svg.appendChild(label);
  }

  playhead = svgEl("line", { x1: x(audio.currentTime), x2: x(audio.currentTime), y1: 2, y2: speechBottom + 4, class: "playhead" });
  svg.appendChild(playhead);
  svg.addEventListener("click", (event) => {
    const rect = svg.getBoundingClientRect();
    const px = event.clientX - rect.left;
    if (px < left) return;
    seek(((px - left) / (width - left - right)) * total, false);
  });
  box.appendChild(svg);
}

// ---------------------------------------------------------------- keyboard

document.addEventListener("keydown", (event) => {
  const tag = (event.target.tagName || "").toLowerCase();
  if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === " " || event.code === "Space") {
    event.preventDefault();
    togglePlay();
  } else if (event.key === "j") {
    stepFlag(1);
  } else if (event.key === "k") {
    stepFlag(-1);
  }
});
document.getElementById("next-flag").addEventListener("click", () => stepFlag(1));
document.getElementById("prev-flag").addEventListener("click", () => stepFlag(-1));

// ---------------------------------------------------------------- start

const reviewerInput = document.getElementById("reviewer");
reviewerInput.value = localStorage.getItem("auditor.reviewer") || "";
reviewerInput.addEventListener("change", () => {
  if (!(me && me.reviewer)) localStorage.setItem("auditor.reviewer", reviewerInput.value.trim());
});
let me = null;

function renderMe() {
  const notice = document.getElementById("signin");
  if (me && me.reviewer) {
    reviewerInput.value = me.reviewer;
    reviewerInput.readOnly = true;
    document.getElementById("reviewer-label").textContent = "Signed in as";
    notice.hidden = true;
  } else if (me && me.sign_in_required) {
    reviewerInput.readOnly = true;
    reviewerInput.value = "";
    notice.textContent = "Open the page with your reviewer token (?token=...) to record verdicts.";
    notice.hidden = false;
  }
}

async function init() {
  try {
    [call, me] = await Promise.all([
      getJSON("/api/calls/" + encodeURIComponent(callId)),
      getJSON("/api/me"),
    ]);
  } catch (err) {
    showError("Could not load the call: " + err.message);
    return;
  }
  renderMe();
  if (call.status !== "ok") showError("This call could not be audited: " + (call.error || "unknown reason"));
  renderScores();
  renderTrust();
  renderOutcome();
  renderFlags();
  renderMetrics();
  renderTimeline();
  renderSpot();
  renderMissed();
  renderHistory();
  setupMissedForm();
  followPlayback();
  window.addEventListener("resize", () => renderTimeline());
  audio.addEventListener("loadedmetadata", () => { if (!call.duration_s) renderTimeline(); });
  document.body.classList.add("ready");
}

init();
