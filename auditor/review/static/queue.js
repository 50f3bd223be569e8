// The review queue: flagged calls worst first (calls with only uncertain flags last), filters
// kept in the address.
"use strict";

const FILTERS = ["category", "severity", "agent", "date", "state", "certainty"];
const DEFAULTS = { state: "all", certainty: "all" };
const STATE_LABELS = {
  all: "all", unreviewed: "left to review", reviewed: "reviewed",
  confirmed: "confirmed", false_alarm: "false alarm",
};
const CERTAINTY_LABELS = { all: "all", certain: "certain only", uncertain: "uncertain only" };

function currentFilters() {
  const form = document.getElementById("filters");
  const out = {};
  for (const name of FILTERS) {
    const value = form.elements[name].value;
    if (value && value !== DEFAULTS[name]) out[name] = value;
  }
  return out;
}

function fillSelect(select, values, labels) {
  for (const value of values) {
    select.appendChild(el("option", { value: value }, labels ? labels[value] || value : value));
  }
}

function scoreCell(score, passed) {
  const td = el("td", { class: "score " + (passed ? "pass" : "fail") });
  td.appendChild(el("b", {}, score === null ? "–" : score));
  td.appendChild(el("span", { class: "verdict" }, passed ? " pass" : " fail"));
  return td;
}

function render(data) {
  const tbody = document.querySelector("#queue tbody");
  tbody.replaceChildren();
  for (const call of data.calls) {
    const href = "/calls/" + encodeURIComponent(call.call_id);
    const tr = el("tr", { class: "row", dataset: { callId: call.call_id } });
    tr.appendChild(scoreCell(call.score, call.passed));
    tr.appendChild(scoreCell(call.score_after, call.passed_after));
    const name = el("td", { class: "file" });
    name.appendChild(el("a", { href: href, class: "open" }, call.file || call.call_id.slice(0, 12)));
    tr.appendChild(name);
    tr.appendChild(el("td", {}, call.agent_id || "–"));
    tr.appendChild(el("td", {}, call.day || "–"));
    tr.appendChild(el("td", { class: "num" }, clock(call.duration_s)));
    const flags = el("td", { class: "chips" });
    const spot = call.spot_check;
    if (spot) {
      tr.classList.add("spot-check");
      flags.appendChild(el("span", {
        class: "chip spot" + (spot.checked_at ? " v-confirmed" : ""),
        title: "No flag raised: drawn at random to find what the auditor misses" +
          (spot.checked_at ? " (checked by " + spot.checked_by + ")" : ""),
      }, "spot check" + (spot.missed ? " · " + spot.missed + " missed" : "")));
    }
    for (const flag of call.flags) {
      const chip = el("span", {
        class: "chip " + flag.severity + " v-" + flag.verdict + (flag.uncertain ? " uncertain" : ""),
        title: clock(flag.start) + "  " + (flag.evidence || "") + "  (" +
          VERDICT_LABELS[flag.verdict] + (flag.uncertain ? ", uncertain: listen before believing" : "") + ")",
      }, (flag.uncertain ? "? " : "") + flag.category);
      flags.appendChild(chip);
    }
    if (call.flags.length && call.flags.every((f) => f.uncertain)) tr.classList.add("only-uncertain");
    tr.appendChild(flags);
    const todo = spot ? (spot.checked_at ? "✓" : "listen") : (call.unreviewed ? call.unreviewed : "✓");
    tr.appendChild(el("td", { class: "num" + (call.unreviewed ? " todo" : " done") }, todo));
    tr.addEventListener("click", (event) => {
      if (event.target.tagName !== "A") window.location.href = href;
    });
    tbody.appendChild(tr);
  }
  document.getElementById("empty").hidden = data.calls.length > 0;
  const left = data.left;
  const spots = data.spot_checks_open || 0;
  document.getElementById("left").textContent = (left.flags
    ? left.flags + " flag" + (left.flags === 1 ? "" : "s") + " left to review in " +
      left.calls + " call" + (left.calls === 1 ? "" : "s")
    : "Nothing left to review") +
    (spots ? " · " + spots + " spot check" + (spots === 1 ? "" : "s") + " to listen to" : "");
}

async function load() {
  const params = new URLSearchParams(currentFilters());
  const query = params.toString();
  history.replaceState(null, "", query ? "?" + query : location.pathname);
  try {
    render(await getJSON("/api/queue" + (query ? "?" + query : "")));
    showError("");
  } catch (err) {
    showError("Could not load the queue: " + err.message);
  }
}

async function init() {
  const form = document.getElementById("filters");
  try {
    const facets = await getJSON("/api/facets");
    for (const name of ["category", "severity", "agent", "date"]) {
      fillSelect(form.elements[name], facets[name]);
    }
    fillSelect(form.elements.state, facets.state, STATE_LABELS);
    fillSelect(form.elements.certainty, facets.certainty || ["all", "certain", "uncertain"],
      CERTAINTY_LABELS);
  } catch (err) {
    showError("Could not load the filters: " + err.message);
  }
  const wanted = new URLSearchParams(location.search);
  for (const name of FILTERS) {
    const value = wanted.get(name);
    if (value) {
      const select = form.elements[name];
      if (![...select.options].some((o) => o.value === value)) {
        select.appendChild(el("option", { value: value }, value));
      }
      select.value = value;
    }
  }
  form.addEventListener("change", load);
  form.addEventListener("reset", () => setTimeout(load, 0));
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  await load();
}

init();
