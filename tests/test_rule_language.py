"""The rule language: concepts, proximity operators, per-hit negation and lawful exemptions,
position, packs in the old format, `rules check` by line and `rules explain`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.compliance.audit import audit_utterances
from auditor.compliance.concepts import ExprError, member_regex, parse_expr
from auditor.compliance.rulepack import check_pack
from auditor.compliance.rules import BUILTIN_DIR, RuleSet, load_rules

DATA = Path(__file__).parent / "data"



def cats(rules: RuleSet, text: str, before: list[tuple[str, str]] = ()) -> set[str]:
    utts: list[dict[str, Any]] = [
        {"speaker": sp, "text": t, "start": float(i), "end": i + 0.5}
        for i, (sp, t) in enumerate([*before, ("agent", text)])]
    flags, _ = audit_utterances(utts, rules)
    last = float(len(before))
    return {f["category"] for f in flags if f["start"] == last and not f["rule"].startswith(
        "steps.")}


def test_parse_expr_and_errors() -> None:
    e = parse_expr("visit_verb+ ~8 visit_place|老家", {"visit_verb", "visit_place"})
    assert e.combined and e.ops == ((False, "8"),)
    assert e.terms[0].concepts == (("visit_verb", True),)
    assert e.terms[1].literals == ("老家",)
    for bad, why in (("a ~8", "ends with an operator"), ("nope ~3 x", "unknown concept"),
                     ("a b", "not an operator")):
        with pytest.raises(ExprError, match=why):
            parse_expr(bad, {"a", "x"})


def test_pronoun_optional_only_where_it_can_drop() -> None:
    import re

    rx = re.compile(member_regex("打断你的腿"))
    assert rx.fullmatch("打断腿") and rx.fullmatch("打断他的腿") and rx.fullmatch("打断您的腿")
    assert not re.compile(member_regex("就你这样")).fullmatch("就这样")
    assert re.compile(member_regex("日你")).pattern == "日你"


@pytest.mark.parametrize(("text", "category"), [
    ("外访同事下周去你老家走一趟", "threat"),          # object place, no fixed phrase
    ("你老婆单位那边，我们会派人过去", "threat"),  # place first, pronoun-free
    ("你这种人，真是狼心狗肺", "abuse"),               # idiom from the class
    ("我是市公安局经侦支队的，你这个案子", "false_legal"),  # frame then authority
    ("京东金条你先借出来，把这边还上", "new_loan"),      # product + verb + repayment
    ("你爸妈、你同事，我们都会通知到", "third_party_disclosure"),  # object first, list
    ("你爱接受不接受", "impatience"),                   # construction, not a phrase
])
def test_concept_rules_catch_unlisted_wording(rules: RuleSet, text: str, category: str) -> None:
    assert category in cats(rules, text)


@pytest.mark.parametrize("text", [
    "逾期会影响您的个人征信。",
    "如果一直不处理，机构可能依法起诉。",
    "我们不会联系您的家人，请放心。",
    "我们不会上门，您放心。",
    "千万不要去借网贷来还，那样只会越滚越多。",
    "孩子生病确实要紧，我们可以把还款日往后延一周。",
])
def test_lawful_negated_and_plain_lines_stay_allowed(rules: RuleSet, text: str) -> None:
    assert cats(rules, text) == set()


def test_negation_cancels_only_its_own_hit(rules: RuleSet) -> None:
    assert "threat" in cats(rules, "我们不会上门，但是你家里人都会被我们天天打电话")


def test_disclosure_after_denial_uses_plain_debt_words(rules: RuleSet) -> None:
    before = [("agent", "您好，请问是刘建平先生吗？"), ("customer", "不是，我是他同事。")]
    assert "third_party_disclosure" in cats(rules, "他借的钱上个月就到期了，一直没还。", before)
    confirmed = [("agent", "您好，请问是刘建平先生吗？"), ("customer", "是我。")]
    assert "third_party_disclosure" not in cats(rules, "您借的钱上个月就到期了。", confirmed)


def test_short_phrase_glued_by_jieba_still_found(rules: RuleSet) -> None:
    from auditor.compliance.matching import _member_ok
    from auditor.compliance.tokens import Clause

    c = Clause.make("坐牢固")
    assert not _member_ok(c, 0, 2, rules)  # 坐牢 inside 坐 + 牢固 is not found
    glued = Clause.make("滚蛋吧你")
    i = glued.text.index("滚蛋")
    assert _member_ok(glued, i, i + 2, rules)


def test_legacy_pack_keeps_its_meaning() -> None:
    legacy = load_rules([DATA / "legacy_threat.toml", BUILTIN_DIR / "context.toml"],
                        builtin=False)
    ids = {r.id for r in legacy.rules}
    assert "legacy.threat.visit" in ids
    visit = next(r for r in legacy.rules if r.id == "legacy.threat.visit")
    assert visit.negatable and "negated" in visit.unless and visit.near == ()

    def hit(text: str) -> set[str]:
        flags, _ = audit_utterances([{"speaker": "agent", "text": text, "start": 1.0,
                                      "end": 2.0}], legacy)
        return {f["rule"] for f in flags}

    assert "legacy.threat.visit" in hit("再不还钱我们就派人上门")
    assert "legacy.threat.visit" not in hit("我们不会上门")  # negatable keeps its meaning
    assert "legacy.threat.visit" in hit("我们不会上门，但是会去你单位")
    assert check_pack(DATA / "legacy_threat.toml") == []


def test_rules_check_explains_new_keys_by_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('[[rule]]\nid = "threat.x"\ncategory = "threat"\n'
                 'near = ["visit_verb ~8 nowhere"]\nunless = ["maybe"]\n'
                 'concepts = ["visit_verb+"]\n', "utf-8")
    out = CliRunner().invoke(cli, ["rules", "check", str(p)]).output
    assert f"{p}:4:" in out and "unknown concept 'nowhere'" in out
    assert f"{p}:5:" in out and "'maybe'" in out
    assert f"{p}:6:" in out and "context members" in out


def test_extra_pack_concept_extends_library(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        '[concept.lender_product]\nmembers = ["星辰快借"]\n\n[[rule]]\nid = "new_loan.mine"\n'
        'category = "new_loan"\nnear = ["lender_product ~6 借出来 >next repay_word+"]\n',
        "utf-8")
    mine = load_rules([tmp_path])
    assert "星辰快借" in mine.concepts["lender_product"].members
    assert "new_loan" in cats(mine, "星辰快借上借出来，先还我们")


def test_rules_explain_cli() -> None:
    r = CliRunner().invoke(cli, ["rules", "explain", "我们不会上门，你放心"])
    assert r.exit_code == 0, r.output
    assert "no rule matches" in r.output and "negat" in r.output
    r = CliRunner().invoke(cli, ["rules", "explain", "外访同事下周去你老家"])
    assert "MATCH threat.classes" in r.output and "老家" in r.output
    r = CliRunner().invoke(cli, ["rules", "explain", "他借的钱到期了",
                                 "--after", "customer:不是，我是他同事"])
    assert "MATCH third_party.after_denial" in r.output
    r = CliRunner().invoke(cli, ["rules", "explain", "x", "--after", "nobody"])
    assert r.exit_code != 0


def test_unlisted_brand_by_its_ending(rules: RuleSet) -> None:
    from auditor.compliance.matching import suffix_spans
    from auditor.compliance.tokens import Clause

    con = rules.concepts["lender_brand_suffix"]
    c = Clause.make("安顺分期上你先借一笔")
    assert any(c.text[s:e].endswith("分期") and e - s > 2 for s, e in suffix_spans(c, con))
    assert suffix_spans(Clause.make("我们可以分期还款"), con) == []
    assert "new_loan" not in cats(rules, "您的分期贷款欠款四千八百元，逾期六十二天了。")
