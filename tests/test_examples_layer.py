"""The example layer (auditor/compliance/similar.py): its files validated by line, the layer on
lines written for these tests (not corpus or dev lines), its flags in an audit, its part of
`auditor rules explain`, its gate (the rules must corroborate a category), JSON-lines example
files, and packs in today's format loading beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.compliance.audit import audit_utterances
from auditor.compliance.matching import analyse, layer_support
from auditor.compliance.rules import BUILTIN_DIR, load_rules
from auditor.compliance.similar import (
    REASON,
    Example,
    ExamplesError,
    check_examples,
    class_reading,
    class_regex,
    example_files,
    fit,
    is_examples_file,
    labelled_lines,
    read_examples,
)

DATA = Path(__file__).parent / "data"

# A tiny class map: a workplace word and a relative word stand for their class.
CLASSES = {"单位": "workplace", "公司": "workplace", "厂里": "workplace",
           "老婆": "family", "爸妈": "family", "孩子": "family"}
EXAMPLES = [
    Example("threat", "明天我们就带人去你单位闹一闹", "t"),
    Example("threat", "再拖着不还，我们的人就去你孩子学校门口等着", "t"),
    Example("threat", "信不信我们今晚就去你家门口堵你", "t"),
    Example("impatience", "你烦不烦啊，一个问题问八遍", "t"),
    Example("impatience", "跟你说了多少遍了，自己不会看短信吗", "t"),
    Example("compliant", "您好，请问您这个月方便安排还款吗", "t"),
    Example("compliant", "好的，我这边给您登记一下还款日期", "t"),
    Example("compliant", "如果有困难可以申请分期，我帮您问问", "t"),
    Example("compliant", "感谢您的配合，祝您生活愉快，再见", "t"),
]


def _layer(threshold: float = 0.4):
    return fit(EXAMPLES, CLASSES, threshold, 30.0, ("threat", "impatience"))


def test_class_reading_gives_members_of_a_class_one_symbol() -> None:
    rx = class_regex(CLASSES)
    one, two = (class_reading(t, rx, CLASSES) for t in ("去你单位闹", "去你厂里闹"))
    assert one == two and one.startswith("去你") and one.endswith("闹") and len(one) == 4
    assert class_reading("去你老婆那", rx, CLASSES) != one


def test_layer_generalises_over_a_word_class() -> None:
    layer = _layer()
    # 公司 was never in a threat example; 单位 was: the class carries the threat over
    top = layer.judge("后天我们就带人去你公司闹")[0]
    assert top.category == "threat" and top.raised
    assert top.nearest is not None and "单位" in top.nearest.text
    assert not any(v.raised for v in layer.judge("请问您这周方便安排一笔还款吗"))


def test_layer_raises_only_its_categories_and_skips_what_a_rule_raised() -> None:
    layer = fit(EXAMPLES, CLASSES, 0.4, 30.0, ("impatience",))
    assert all(v.category != "threat" for v in layer.raised("后天我们就带人去你公司闹"))
    assert layer.raised("你烦不烦，一个问题问十遍", skip=["impatience"]) == []


def test_example_file_problems_are_reported_by_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[layer]\nthreshold = "high"\n\n[examples.abusee]\nlines = ["x"]\n\n'
                   '[examples.threat]\nsource = "ours"\n', encoding="utf-8")
    problems = check_examples(bad)
    assert any(p.startswith(f"{bad}:2:") and "threshold" in p for p in problems)
    assert any(p.startswith(f"{bad}:4:") and "did you mean 'abuse'" in p for p in problems)
    assert any(p.startswith(f"{bad}:7:") and "no 'lines'" in p for p in problems)
    with pytest.raises(ExamplesError, match=r"bad.toml:2:"):
        read_examples([bad])
    result = CliRunner().invoke(cli, ["rules", "check", str(bad)])
    assert result.exit_code == 1 and f"{bad}:4:" in result.output


def test_shipped_example_files_are_valid_and_name_their_sources() -> None:
    files = example_files(BUILTIN_DIR / "examples")
    assert files and all(is_examples_file(f) and check_examples(f) == [] for f in files)
    examples, settings = read_examples(files)
    cats = {e.category for e in examples}
    assert {"compliant", "abuse", "threat", "new_loan", "impatience"} <= cats
    assert "threshold" in settings and "enabled" in settings and settings.get("gate") == "pair"
    assert all('source = "' in f.read_text("utf-8") for f in files
               if f.suffix == ".toml" and f.name != "layer.toml")
    assert all(rec is not None and rec.get("source_kind") for f in files if f.suffix == ".jsonl"
               for _, rec, _ in labelled_lines(f))


def _enabled_pack(tmp_path: Path, gate: str = "none") -> Path:
    """A pack directory holding a one-rule pack and example files, with the layer switched on
    (no gate by default: the one-rule pack has no threat rule to corroborate the layer)."""
    (tmp_path / "mine.toml").write_text(
        '[pack]\nname = "mine"\n\n[[rule]]\nid = "mine.rare"\ncategory = "abuse"\n'
        'phrases = ["蓝色长颈鹿"]\n', encoding="utf-8")
    ex = tmp_path / "examples"
    ex.mkdir()
    body = "".join(f'\n[examples.{c}]\nsource = "written for this test"\nlines = [\n' +
                   "".join(f'  "{e.text}",\n' for e in EXAMPLES if e.category == c) + "]\n"
                   for c in ("threat", "impatience", "compliant"))
    (ex / "mine.toml").write_text('[layer]\nenabled = true\nthreshold = 0.4\nstrength = 30.0\n'
                                  f'gate = "{gate}"\ncategories = ["threat", "impatience"]\n'
                                  + body, encoding="utf-8")
    return tmp_path


def test_audit_raises_the_layer_uncertain_on_sure_agent_lines_only(tmp_path: Path) -> None:
    rules = load_rules([_enabled_pack(tmp_path)], builtin=False)
    assert rules.examples is not None
    text = "明天我们就带人去你单位闹一闹，看你还躲不躲"
    utts = [{"speaker": "agent", "text": text, "start": 0.0, "end": 3.0},
            {"speaker": "customer", "text": text, "start": 4.0, "end": 7.0},
            {"speaker": "agent", "text": text, "start": 8.0, "end": 11.0, "confidence": 0.2}]
    flags, _ = audit_utterances(utts, rules)
    layer_flags = [f for f in flags if f["rule"].startswith("similar.")]
    assert [f["start"] for f in layer_flags] == [0.0]
    f = layer_flags[0]
    assert f["category"] == "threat" and f["uncertain"] and REASON in f["uncertain_reasons"]
    assert f["similar"]["nearest"] and 0.4 <= f["similar"]["score"] <= 1.0


def test_shipped_layer_is_on_with_the_pair_gate() -> None:
    rules = load_rules()
    assert rules.examples is not None and rules.examples.gate == "pair"


def test_layer_is_off_in_audits_while_disabled(tmp_path: Path) -> None:
    pack = _enabled_pack(tmp_path)
    f = pack / "examples" / "mine.toml"
    f.write_text(f.read_text("utf-8").replace("enabled = true", "enabled = false"), "utf-8")
    assert load_rules([pack], builtin=False).examples is None


def test_the_gate_keeps_the_layer_from_raising_what_no_rule_corroborates(tmp_path: Path) -> None:
    """With gate = "member" a category needs a word of one of its rules' word classes on a word
    boundary: the one-rule pack has no threat rule, so the layer's threat is not raised, and
    `rules explain` says why."""
    rules = load_rules([_enabled_pack(tmp_path, gate="member")], builtin=False)
    assert rules.examples is not None and rules.examples.gate == "member"
    text = "明天我们就带人去你单位闹一闹，看你还躲不躲"
    verdict = rules.examples.judge(text, ["threat"])[0]
    assert verdict.raised  # the model alone would raise it ...
    flags, _ = audit_utterances([{"speaker": "agent", "text": text, "start": 0.0, "end": 3.0}],
                                rules)
    assert not [f for f in flags if f["rule"].startswith("similar.")]  # ... the gate does not
    assert layer_support("threat", analyse(text, rules), rules, "member") == []
    assert layer_support("threat", analyse(text, rules), rules, "none") == ["-"]


def test_jsonl_example_files_are_read_and_checked_by_line(tmp_path: Path) -> None:
    good = tmp_path / "lines.jsonl"
    rows = [{"id": "a", "category": "threat", "speaker": "agent", "text": "今晚就去你家门口等你",
             "source_kind": "written for this test"},
            {"id": "b", "category": "compliant", "speaker": "customer", "text": "你们再打我就报警"}]
    good.write_text("\n\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    examples, _ = read_examples([good])
    assert [(e.category, e.text) for e in examples] == [("threat", "今晚就去你家门口等你")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"category": "threat", "text": "x"}\nnot json\n'
                   '{"category": "threatt", "text": "y"}\n', encoding="utf-8")
    problems = check_examples(bad)
    assert [p.split(":")[1] for p in problems] == ["2", "3"]
    assert "unknown category 'threatt'" in problems[1]
    with pytest.raises(ExamplesError, match=r"bad.jsonl:2:"):
        read_examples([bad])


def test_pack_in_todays_format_loads_beside_the_examples() -> None:
    legacy = load_rules([DATA / "legacy_threat.toml", BUILTIN_DIR / "context.toml"],
                        builtin=False)
    assert any(r.pack == "legacy_threat" for r in legacy.rules)
    assert legacy.examples is None


def test_explain_shows_the_layer_decision(tmp_path: Path) -> None:
    pack = _enabled_pack(tmp_path)
    text = "后天我们就带人去你公司闹"
    out = CliRunner().invoke(cli, ["rules", "explain", text, "--rules", str(pack)]).output
    assert "MATCH" in out and "example layer on (default threshold 0.4" in out
    threat = next(x for x in out.splitlines() if x.strip().startswith("threat "))
    # each category's own threshold and gate are shown on its line, not only the default
    assert "(threshold " in threat and ", gate " in threat
    # a rule raised threat, so the layer is not asked for it; its score and nearest are shown
    assert "score" in threat and "not asked (a rule raised it)" in threat
    assert "nearest example" in threat and "单位" in threat
    cust = CliRunner().invoke(cli, ["rules", "explain", text, "--speaker", "customer",
                                    "--rules", str(pack)]).output
    assert "not asked (not an agent line)" in cust
    off = CliRunner().invoke(cli, ["rules", "explain", "你先去借点钱把这期还了"]).output
    assert "example layer on (default threshold 0.5, gate pair" in off and "nearest example" in off
    # the shipped per-category settings ([layer.thresholds], [layer.gates]) on each line
    from auditor.compliance.rules import load_rules

    layer = load_rules().examples
    assert layer is not None
    for cat in ("abuse", "impatience", "new_loan"):
        line = next(x for x in off.splitlines() if x.strip().startswith(f"{cat} "))
        assert f"(threshold {layer.threshold_for(cat):g}, gate {layer.gate_for(cat)})" in line


def test_a_bad_examples_file_in_a_pack_directory_is_a_pack_error(tmp_path: Path) -> None:
    pack = _enabled_pack(tmp_path)
    (pack / "examples" / "zz.toml").write_text('[layer]\nthreshold = 2.0\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(pack)])
    assert result.exit_code == 1 and "zz.toml:2:" in result.output


def _with_layer_table(f: Path, original: str, table: str, body: str) -> list[str]:
    """Write `original` with a [layer.TABLE] holding `body` before its examples; its lines."""
    f.write_text(original.replace("\n[examples.", f"\n[layer.{table}]\n{body}\n\n[examples.",
                                  1), "utf-8")
    return f.read_text("utf-8").splitlines()


def test_a_category_may_have_its_own_gate_checked_by_line(tmp_path: Path) -> None:
    pack = _enabled_pack(tmp_path, gate="pair")
    f = pack / "examples" / "mine.toml"
    text = f.read_text("utf-8")
    _with_layer_table(f, text, "gates", 'threat = "member"')
    layer = load_rules([pack], builtin=False).examples
    assert layer is not None
    assert (layer.gate_for("threat"), layer.gate_for("impatience")) == ("member", "pair")
    line = 1 + _with_layer_table(f, text, "gates", 'threat = "loose"').index('threat = "loose"')
    assert any(p.startswith(f"{f}:{line}:") for p in check_examples(f))


def test_a_category_may_have_its_own_threshold_checked_by_line(tmp_path: Path) -> None:
    """[layer.thresholds] (rules10): a category without a gate may ask for a surer model; the
    other categories keep the layer's threshold. A bad value or category is named by line."""
    text = "你烦不烦，一个问题问十遍"
    loose = fit(EXAMPLES, CLASSES, 0.4, 30.0, ("threat", "impatience"))
    strict = fit(EXAMPLES, CLASSES, 0.4, 30.0, ("threat", "impatience"),
                 thresholds={"impatience": 0.99})
    assert any(v.category == "impatience" for v in loose.raised(text))
    assert not any(v.category == "impatience" for v in strict.raised(text))
    assert (strict.threshold_for("impatience"), strict.threshold_for("threat")) == (0.99, 0.4)
    assert any(v.category == "threat" for v in strict.raised("后天我们就带人去你公司闹"))

    pack = _enabled_pack(tmp_path)
    f = pack / "examples" / "mine.toml"
    original = f.read_text("utf-8")
    _with_layer_table(f, original, "thresholds", "impatience = 0.9")
    layer = load_rules([pack], builtin=False).examples
    assert layer is not None and layer.threshold_for("impatience") == 0.9
    assert layer.threshold_for("threat") == layer.threshold
    lines = _with_layer_table(f, original, "thresholds", "impatience = 1.5\nimpatiense = 0.7")
    problems = check_examples(f)
    for bad in ("impatience = 1.5", "impatiense = 0.7"):
        assert any(p.startswith(f"{f}:{1 + lines.index(bad)}:") for p in problems), bad


def test_shipped_layer_gates_and_thresholds_per_category() -> None:
    """The shipped choice of rules10 (docs/rule-sources.md, "rules10"): abuse and impatience
    without a gate but each with a surer threshold than the layer's; the others gated."""
    layer = load_rules().examples
    assert layer is not None
    for cat in ("abuse", "impatience"):
        assert layer.gate_for(cat) == "none" and layer.threshold_for(cat) > layer.threshold
    assert {layer.gate_for(c) for c in ("threat", "false_legal", "new_loan")} <= {"member", "pair"}
