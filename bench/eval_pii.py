"""Personal-number detection measured: real-wording corpus halves and synthetic ASR-like variants.

**Corpus** (``corpus/real_wording.jsonl``): every line is audited with its ``context`` as the
utterances before it; a ``pii_leak`` flag on the judged line is a hit on a ``pii_leak`` line (or
one whose ``also`` names it) and a false alarm on any other line. Figures per half; the held-out
half (sha256(id) odd) is reported as an aggregate and never tuned on.

**Synthetic** (``synthetic_cases``): seeded random valid numbers of each kind, written the way ASR
writes them: Arabic digits, Chinese numerals with telephone readings, a mix, grouped with pauses,
a group dropped, a digit doubled, a digit turned into a same-sounding character, split over two
utterances; and reference numbers (Luhn-valid, ID-like, 138-prefixed) after a contract/order/case
word or before an amount unit, which must not count.

**Readers**: the share of digit strings that ``numbers.read_digits`` and ``cn2an.transform``
turn back into the exact digits.

    .venv/bin/python -m bench.eval_pii
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.compliance.audit import audit_utterances
from auditor.compliance.numbers import read_digits
from auditor.compliance.pii import id_check_char
from auditor.compliance.rules import RuleSet, load_rules

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "real_wording.jsonl"

NUMERALS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
PHONE = dict(zip("0123456789", "零幺两三四五六七八九", strict=True))
HOMOPHONE = dict(zip("0123456789", "灵衣而伞似舞流期吧酒", strict=True))
AREAS = ("110105", "310104", "440305", "320102", "330106", "510107", "420106", "610113")
MOBILE_PREFIXES = ("139", "138", "150", "186", "177", "199", "135", "188")
CARD_PREFIXES = ("622202", "621700", "622848", "623668", "621483")


def held_out(line_id: str) -> bool:
    """The corpus split rule: held-out when sha256(id) is odd."""
    return int(hashlib.sha256(line_id.encode("utf-8")).hexdigest(), 16) % 2 == 1


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        s = body + d
        total = 0
        for i, c in enumerate(reversed(s)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return s
    raise AssertionError("unreachable")


def random_id(rng: random.Random, old: bool = False) -> str:
    """A valid resident ID (18 characters, or a 15-digit old one)."""
    born = f"{rng.randint(1950, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = rng.choice(AREAS) + born + f"{rng.randint(0, 999):03d}"
    if old:
        return first17[:6] + first17[8:17]
    return first17 + id_check_char(first17)


def random_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def random_card(rng: random.Random) -> str:
    n = rng.choice((16, 19))
    body = rng.choice(CARD_PREFIXES)
    body += "".join(rng.choice("0123456789") for _ in range(n - 1 - len(body)))
    return _luhn_complete(body)


GROUPS = {"id_card": (6, 8), "mobile": (3, 4), "bank_card": (4, 4, 4, 4)}
ANCHOR = {"id_card": "身份证号是", "mobile": "手机号是", "bank_card": "卡号是"}


def _split(s: str, sizes: tuple[int, ...]) -> list[str]:
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return [g for g in out if g]


def _write(digits: str, style: str, rng: random.Random) -> str:
    table = {"digits": None, "numerals": NUMERALS, "phone": PHONE}.get(style)
    if style == "mixed":
        return "".join(c if rng.random() < 0.5 else PHONE.get(c, "叉") for c in digits)
    if table is None:
        return digits
    return "".join(table.get(c, "叉") for c in digits)


@dataclass(frozen=True)
class Case:
    """One synthetic case: the utterances (the last one judged), its label and its variant."""

    utterances: tuple[dict[str, Any], ...]
    pii: bool
    variant: str


def _utt(text: str, start: float = 0.0) -> dict[str, Any]:
    return {"speaker": "agent", "start": start, "end": start + 3.0, "text": text}


def synthetic_cases(seed: int = 7, per_variant: int = 30) -> Iterator[Case]:
    """Seeded ASR-like variants of personal numbers (positives) and reference numbers."""
    rng = random.Random(seed)
    makers = {"id_card": random_id, "mobile": random_mobile, "bank_card": random_card}
    for _ in range(per_variant):
        for kind, make in makers.items():
            num = make(rng)
            style = rng.choice(("digits", "numerals", "phone", "mixed"))
            groups = [_write(g, style, rng) for g in _split(num, GROUPS[kind])]
            sep = rng.choice(("，", " ", "、", "，然后"))
            a = ANCHOR[kind]
            yield Case((_utt(a + "".join(groups) + "，对吧？"),), True, f"{kind}:whole")
            yield Case((_utt(a + sep.join(groups) + "，对吧？"),), True, f"{kind}:grouped")
            if kind != "mobile":  # a mobile one group short is a masked form, not a full number
                drop = rng.randrange(len(groups))
                short = [g for i, g in enumerate(groups) if i != drop]
                yield Case((_utt(a + sep.join(short) + "，对吧？"),), True, f"{kind}:group_dropped")
            k = rng.randrange(1, len(num) - 1)
            doubled = num[:k] + num[k] + num[k:]
            yield Case((_utt(a + _write(doubled, style, rng) + "。"),), True,
                       f"{kind}:digit_doubled")
            spoken = _write(num, "phone", rng)
            chars = list(spoken)
            for i in rng.sample(range(3, len(chars) - 1), max(1, len(chars) // 6)):
                chars[i] = HOMOPHONE.get(num[i], chars[i])
            yield Case((_utt(a + "".join(chars) + "。"),), True, f"{kind}:homophones")
            cut = sum(len(g) for g in _split(num, GROUPS[kind])[:1])
            yield Case((_utt(a + _write(num[:cut], style, rng)),
                        _utt("接着，" + _write(num[cut:], style, rng) + "，记一下。", 4.0)),
                       True, f"{kind}:two_utterances")
    negatives = ("合同编号是", "订单号", "案件编号", "工号", "借条编号", "流水号是", "受理编号",
                 "计划编号是", "对账单号")
    for _ in range(per_variant):
        for kind in ("bank_card", "id_card", "mobile"):
            num = makers[kind](rng)
            style = rng.choice(("digits", "numerals", "mixed"))
            w = rng.choice(negatives)
            yield Case((_utt(f"您的{w}{_write(num, style, rng)}，请记好。"),), False,
                       f"reference:{kind}")
        amount = str(rng.randint(10_000_000_000, 99_999_999_999_999))
        yield Case((_utt(f"累计流水{amount}元。"),), False, "reference:amount")
        tail = random_card(rng)[-4:]
        yield Case((_utt(f"您尾号{_write(tail, 'phone', rng)}的卡，后四位是{tail}。"),), False,
                   "reference:masked")
    # the recogniser writes a pause inside a read-out number as a full stop (六二一七。零零一八，
    # ...): drawn from their own generator, so the variants above keep their draws
    stops = random.Random(seed * 1009 + 17)
    for _ in range(per_variant):
        for kind, make in makers.items():
            num = make(stops)
            style = stops.choice(("digits", "numerals", "phone", "mixed"))
            groups = [_write(g, style, stops) for g in _split(num, GROUPS[kind])]
            text = "".join(g + stops.choice(("。", "。", "，")) for g in groups[:-1]) + groups[-1]
            yield Case((_utt(ANCHOR[kind] + text + "，对吧？"),), True, f"{kind}:stop_grouped")
            w = stops.choice(negatives)
            yield Case((_utt(f"您的{w}{text}，请记好。"),), False, f"reference:stop_{kind}")


# ---------------------------------------------------------------- scoring


def _pii_flagged(utterances: list[dict[str, Any]], rules: RuleSet) -> bool:
    flags, _ = audit_utterances(utterances, rules)
    last = utterances[-1]
    return any(f["category"] == "pii_leak" and f["start"] == last["start"] for f in flags)


def _prf(tp: int, fn: int, fp: int) -> str:
    r = tp / (tp + fn) if tp + fn else float("nan")
    p = tp / (tp + fp) if tp + fp else float("nan")
    return f"recall {r:.2f} ({tp}/{tp + fn})  precision {p:.2f} ({tp}/{tp + fp})"


def corpus_lines(path: Path | None = None) -> list[dict[str, Any]]:
    """The corpus lines: both halves (bench.eval_rules.CORPUS_FILES) unless a path is given."""
    from bench.eval_rules import CORPUS_FILES

    return [json.loads(x) for p in ([path] if path else CORPUS_FILES)
            for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]


def corpus_utterances(line: dict[str, Any]) -> list[dict[str, Any]]:
    """The line's context then its text, as timed utterances."""
    utts = [{"speaker": c["speaker"], "start": 3.0 * i, "end": 3.0 * i + 2.5, "text": c["text"]}
            for i, c in enumerate(line.get("context") or [])]
    n = len(utts)
    utts.append({"speaker": line["speaker"], "start": 3.0 * n, "end": 3.0 * n + 2.5,
                 "text": line["text"]})
    return utts


def score_corpus(rules: RuleSet, held: bool) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) of pii_leak on one half of the corpus."""
    tp = fn = fp = tn = 0
    for line in corpus_lines():
        if held_out(line["id"]) != held:
            continue
        want = line["category"] == "pii_leak" or "pii_leak" in (line.get("also") or [])
        got = _pii_flagged(corpus_utterances(line), rules)
        tp += want and got
        fn += want and not got
        fp += got and not want
        tn += not want and not got
    return tp, fn, fp, tn


def score_synthetic(rules: RuleSet, seed: int = 7) -> dict[str, tuple[int, int]]:
    """Per variant: (flagged, total)."""
    out: dict[str, tuple[int, int]] = {}
    for case in synthetic_cases(seed):
        got = _pii_flagged(list(case.utterances), rules)
        f, n = out.get(case.variant, (0, 0))
        out[case.variant] = (f + got, n + 1)
    return out


def reader_agreement(seed: int = 7, n: int = 200) -> dict[str, float]:
    """Share of spoken digit strings each reader turns back into the exact digits."""
    try:
        import cn2an
    except ImportError:
        print("  (cn2an is not installed: `pip install cn2an` to compare it; numbers.read_digits "
              "alone below)")
        cn2an = None
    rng = random.Random(seed)
    ok = {"numbers.read_digits": 0} if cn2an is None else {"numbers.read_digits": 0,
                                                           "cn2an.transform": 0}
    for _ in range(n):
        num = rng.choice((random_id(rng), random_mobile(rng), random_card(rng)))
        text = _write(num, rng.choice(("numerals", "phone", "mixed")), rng)
        mine = "".join(g.digits for g in read_digits(text))
        ok["numbers.read_digits"] += mine == num
        if cn2an is None:
            continue
        try:
            theirs = cn2an.transform(text, "cn2an").upper().replace("叉", "X")
        except Exception:
            theirs = ""
        ok["cn2an.transform"] += theirs == num
    return {k: v / n for k, v in ok.items()}


def main() -> None:
    rules = load_rules()
    for name, held in (("tuning", False), ("held-out", True)):
        tp, fn, fp, tn = score_corpus(rules, held)
        print(f"corpus {name:8s} pii_leak: {_prf(tp, fn, fp)}  (true negatives {tn})")
    print("synthetic variants (flagged / cases):")
    for variant, (f, n) in sorted(score_synthetic(rules).items()):
        print(f"  {variant:26s} {f:3d}/{n:3d}  {f / n:.2f}")
    print("digit strings read back exactly:",
          ", ".join(f"{k} {v:.2f}" for k, v in reader_agreement().items()))


if __name__ == "__main__":
    main()
