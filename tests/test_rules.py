"""Phrase rules: each category, negation, context, speakers and evidence."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet, load_rules


def utt(text: str, speaker: str = "agent", start: float = 10.0) -> dict[str, Any]:
    return {"speaker": speaker, "start": start, "end": start + 3.0, "text": text, "channel": 0}


def rule_flags(rules: RuleSet, text: str, speaker: str = "agent") -> list[dict[str, Any]]:
    """Flags raised by the phrase rules on one utterance (script-step flags left out)."""
    flags, _ = audit_utterances([utt(text, speaker)], rules)
    return [f for f in flags if not f["rule"].startswith("steps.")]


def categories(rules: RuleSet, text: str, speaker: str = "agent") -> set[str]:
    return {f["category"] for f in rule_flags(rules, text, speaker)}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("没钱也得还，你就是个老赖，真不要脸。", "abuse"),
        ("你这种人就是欠债不还的无赖", "abuse"),
        ("你个穷鬼还什么钱", "abuse"),
        ("你有没有脑子啊", "abuse"),
        ("您要是再拖着，我们就派人上门找你，后果自负。", "threat"),
        ("再不还钱我们就派人去你家", "threat"),
        ("你要是不还，我们明天就到你公司去找你", "threat"),
        ("你给我等着，有你好受的", "threat"),
        ("不还就把你的照片挂到网上曝光", "threat"),
        ("你这已经构成诈骗罪了，警察很快就会来抓你，你是要坐牢的。", "false_legal"),
        ("我是市公安局经侦支队的", "false_legal"),
        ("我们已经给你立案了", "false_legal"),
        ("我们这边是人民法院的工作人员", "false_legal"),
        ("不还的话我们就通知你的家人和同事", "third_party_disclosure"),
        ("我会把你欠钱的事告诉你老婆", "third_party_disclosure"),
        ("我们会给你单位打电话", "third_party_disclosure"),
        ("再不处理就打你通讯录，让你亲戚朋友都知道", "third_party_disclosure"),
        ("您可以去别的平台再借一笔，或者信用卡套现，先把这笔还上。", "new_loan"),
        ("你去网贷平台借点钱还了不就行了", "new_loan"),
        ("用信用卡刷出来先还我们", "new_loan"),
        ("你听不懂吗？我说了多少遍了，账单上写得清清楚楚。", "impatience"),
        ("你去投诉吧。", "impatience"),
        ("我都跟你说了三遍了你还不明白", "impatience"),
        ("你爱还不还，跟我没关系", "impatience"),
    ],
)
def test_each_category_is_found(rules: RuleSet, text: str, category: str) -> None:
    assert category in categories(rules, text)


@pytest.mark.parametrize(
    "text",
    [
        "逾期会影响您的个人征信。",
        "机构可能依法起诉。",
        "如果一直不处理，可能通过诉讼解决。",
        "如果协商不成，我们可能会通过法律途径处理。",
        "欠钱不还不会坐牢，但会影响征信。",
        "您好，请问是张伟先生本人吗？",
        "好的，感谢您的配合，再见。",
        "您好，不客气，再见。",
        "您可以申请分期，或者先还一部分。",
        "这个利滚利的情况我们可以帮您申请减免。",
        "下个月等着您的好消息。",
        "我们不是骗子，您可以放心。",
        "请你的家人帮忙转告一下。",
        "坐牢固的椅子",
    ],
)
def test_ordinary_and_lawful_speech_raises_nothing(rules: RuleSet, text: str) -> None:
    assert rule_flags(rules, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "我们不会上门的，您放心。",
        "我们不会联系您的家人。",
        "我们没有要去您单位。",
        "我们绝对不会去你家。",
        "放心，我们不会派人上门，也不会告诉你同事。",
    ],
)
def test_negation_and_reassurance_is_not_a_threat(rules: RuleSet, text: str) -> None:
    assert categories(rules, text) == set()


def test_negation_is_scoped_to_its_clause(rules: RuleSet) -> None:
    cats = categories(rules, "我们不会上门，但是你家人都会知道你是老赖")
    assert "abuse" in cats
    assert "third_party_disclosure" in cats
    assert "threat" not in cats


def test_conditional_threat_is_not_negated_by_the_condition(rules: RuleSet) -> None:
    # 不 belongs to 不还钱 (the condition); 就 breaks the negation scope.
    assert "threat" in categories(rules, "你不还钱就派人上门")


def test_agent_repeating_customers_question_is_not_a_statement(rules: RuleSet) -> None:
    assert categories(rules, "您是担心我们会上门吗？我们不会的。") == set()
    assert categories(rules, "您是说我们会联系您家人？") == set()


@pytest.mark.parametrize(
    "text", ["你们是骗子吧！", "你们再打电话我就报警，让警察抓你们", "你们是不是要派人上门找我？"]
)
def test_customer_words_never_raise_agent_categories(rules: RuleSet, text: str) -> None:
    flags = rule_flags(rules, text, speaker="customer")
    assert all(f["category"].startswith("info_") for f in flags)


def test_customer_insult_is_only_informational(rules: RuleSet) -> None:
    flags = rule_flags(rules, "你们就是骗子", speaker="customer")
    assert [f["category"] for f in flags] == ["info_customer_abuse"]
    assert flags[0]["severity"] == "info"


def test_unknown_speaker_agent_category_is_raised_uncertain(rules: RuleSet) -> None:
    # issue 14: an agent-category match on an unsettled line is raised for review, never dropped
    flags = rule_flags(rules, "你就是个老赖，我们派人上门", speaker="unknown")
    assert {f["category"] for f in flags} >= {"abuse", "threat"}
    assert all(f["uncertain"] for f in flags)


def test_pack_can_opt_unknown_speakers_in(tmp_path) -> None:
    (tmp_path / "mono.toml").write_text(
        '[[rule]]\nid = "abuse.mono"\ncategory = "abuse"\nspeakers = ["agent", "unknown"]\n'
        'phrases = ["老赖"]\n', encoding="utf-8")
    rs = load_rules(extra_dirs=[tmp_path])
    flags = rule_flags(rs, "你就是个老赖", speaker="unknown")
    mono = [f for f in flags if f["rule"] == "abuse.mono"]
    assert mono and mono[0]["speaker"] == "unknown" and mono[0]["uncertain"]


def test_whole_words_only(rules: RuleSet) -> None:
    # 老赖 / 骗子 as words flag; the same characters inside other words do not.
    assert "abuse" in categories(rules, "你这个老赖")
    assert categories(rules, "姥姥赖着不走") == set()
    assert categories(rules, "这个凳子坐牢固了") == set()


def test_flag_carries_evidence(rules: RuleSet) -> None:
    flags = rule_flags(rules, "没钱也得还，你就是个老赖，真不要脸。")
    assert len(flags) == 1
    f = flags[0]
    assert f["category"] == "abuse"
    assert f["rule"] == "abuse.insult"
    assert f["severity"] == "critical"
    assert f["speaker"] == "agent"
    assert (f["start"], f["end"]) == (10.0, 13.0)
    assert f["evidence"] == "没钱也得还，你就是个老赖，真不要脸。"
    assert "老赖" in f["matched"] and "不要脸" in f["matched"]


def test_evidence_masks_personal_numbers_in_every_flag(rules: RuleSet) -> None:
    flags = rule_flags(rules, "你这个老赖，手机13957081246我们都知道")
    abuse = next(f for f in flags if f["category"] == "abuse")
    assert "13957081246" not in abuse["evidence"]
    assert "139****1246" in abuse["evidence"]


def test_flags_are_sorted_by_start(rules: RuleSet) -> None:
    flags, _ = audit_utterances(
        [utt("你就是个老赖", start=20.0), utt("我们会派人上门", start=5.0)], rules)
    starts = [f["start"] for f in flags if not f["rule"].startswith("steps.")]
    assert starts == sorted(starts) and starts[0] == 5.0


def test_severities_come_from_the_packs(rules: RuleSet) -> None:
    by_cat = {r["category"]: r["severity"] for r in rules.describe()}
    for cat in ("abuse", "threat", "false_legal", "third_party_disclosure", "pii_leak"):
        assert by_cat[cat] == "critical"
    assert by_cat["new_loan"] == "major"


def test_version_is_a_short_hash_that_changes_with_packs(rules: RuleSet, tmp_path) -> None:
    assert len(rules.version) == 12 and int(rules.version, 16) >= 0
    assert load_rules().version == rules.version
    (tmp_path / "x.toml").write_text(
        '[[rule]]\nid = "impatience.extra"\ncategory = "impatience"\nphrases = ["蓝色柠檬茶"]\n',
        encoding="utf-8")
    extended = load_rules(extra_dirs=[tmp_path])
    assert extended.version != rules.version
    assert "impatience" in categories(extended, "蓝色柠檬茶")
    assert categories(rules, "蓝色柠檬茶") == set()


def test_extra_pack_replaces_rule_with_same_id(tmp_path) -> None:
    (tmp_path / "x.toml").write_text(
        '[[rule]]\nid = "abuse.insult"\ncategory = "abuse"\nseverity = "minor"\n'
        'phrases = ["笨"]\n', encoding="utf-8")
    rs = load_rules(extra_dirs=[tmp_path])
    rows = {r["id"]: r for r in rs.describe()}
    assert rows["abuse.insult"]["severity"] == "minor"
    assert rows["abuse.insult"]["phrases"] == 1


def test_describe_lists_rules_and_steps(rules: RuleSet) -> None:
    rows = rules.describe()
    ids = {r["id"] for r in rows}
    assert {"abuse.insult", "pii.mobile", "step.greeting", "step.closing"} <= ids
    assert all({"id", "category", "severity", "speakers", "phrases"} <= set(r) for r in rows)
