"""Export the scorecards of every sample call, and compare two exports.

    python scripts/scorecards.py export DIR    # DIR/audio/*.json and DIR/transcript/*.json
    python scripts/scorecards.py compare OLD NEW

Used to show that a change that must not change behaviour (issue 11, the staged layout) leaves
every scorecard byte-identical, from the audio and from the truth transcripts (`--transcript`).
The model is loaded once for the whole export.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "calls"


def export(out: Path) -> None:
    """Write `auditor check --json` of every sample call, from audio and from its truth."""
    from auditor.asr.transcript import load_transcript
    from auditor.pipeline import Auditor

    auditor = Auditor()
    for kind in ("audio", "transcript"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        stem = truth.name[: -len(".truth.json")]
        name = json.loads(truth.read_text(encoding="utf-8"))["file"]
        utterances, layout = load_transcript(truth)
        cards = {"transcript": auditor.audit_transcript(utterances, str(truth), layout),
                 "audio": auditor.audit(SAMPLES / name)}
        for kind, card in cards.items():
            text = json.dumps(card, ensure_ascii=False, indent=2) + "\n"
            (out / kind / f"{stem}.json").write_text(text, encoding="utf-8")


def compare(old: Path, new: Path) -> int:
    """Print each scorecard that differs (and which fields); return how many differ."""
    differ = 0
    for a in sorted(old.glob("*/*.json")):
        b = new / a.parent.name / a.name
        if not b.exists():
            print(f"missing: {b}")
            differ += 1
            continue
        ja, jb = json.loads(a.read_text("utf-8")), json.loads(b.read_text("utf-8"))
        if ja != jb:
            keys = sorted(k for k in set(ja) | set(jb) if ja.get(k) != jb.get(k))
            print(f"{a.parent.name}/{a.name}: {', '.join(keys)}")
            differ += 1
    print(f"{differ} scorecards differ")
    return differ


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(1 if compare(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
    else:
        sys.exit(__doc__)
