"""rules15: the DEV fold tests/data/rules_dev13.jsonl (issue 12), and the round's classes on
lines written for these tests (not dev or corpus lines).

The fold (32 third-party disclosure lines, 18 compliant) was written and committed before any
change of this round, in our own words, from kinds of source no earlier set used: Chinese
translations of US consumer-rights explainers on collectors and third parties, LLM role-play
prompts for collection agents, and narrative fiction about online-loan collection. Measured
once before any change (rules + the shipped layer of 7aaf150, scored like the corpus): 31/32
found, 3 false alarms on 18 compliant lines. It is in-sample now, so its passing is no
generalisation figure.

The classes: the listener's own wish or fear that their people not know, used as leverage
(不想让你老婆知道的话就赶紧还); borrowing and not repaying said in one compound (借钱不还); a
neighbour by where they live (我是住他对门的); 他家 as the third person; the family role said as
a clause of its own (你是他家里人就得替他想办法); and on precision: the agent's promise of
privacy (unless = ["privacy"]), declining to tell (不方便跟您说), and 打过来 as the caller's own
call back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import classify_reply
from bench.eval_rules import line_categories
from tests.helpers import assert_fold_row, jsonl_rows

TPD = "third_party_disclosure"
DATA = Path(__file__).parent / "data" / "rules_dev13.jsonl"
ROWS = jsonl_rows(DATA)


def _line(text: str, reply: str | None = None) -> dict[str, object]:
    ctx = [{"speaker": "customer", "text": reply}] if reply else []
    return {"speaker": "agent", "text": text, "context": ctx}


def test_dev13_set_is_balanced_and_sourced() -> None:
    violating = [r for r in ROWS if r["category"] != "compliant"]
    assert len(violating) >= 30 and sum(r["category"] == "compliant" for r in ROWS) >= 15
    assert all(r["category"] == TPD and r["speaker"] == "agent" for r in violating)
    assert all(r["source_kind"] for r in ROWS)
    assert sum(bool(r.get("context")) for r in violating) >= 20
    assert len({r["id"] for r in ROWS}) == len(ROWS)


def test_dev13_is_no_example_file() -> None:
    from auditor.compliance.similar import example_files

    assert DATA.name not in {p.name for p in example_files()}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_dev13_line_raises_its_category_and_a_compliant_line_none(rules: RuleSet,
                                                                   row: dict[str, Any]) -> None:
    assert_fold_row(rules, row)


@pytest.mark.parametrize(("text", "raised"), [
    # a negated wish or a dare about the debtor's people knowing, as a condition or a question
    ("要是不希望你爸妈知道，那就今天把钱转过来。", True),
    ("你也不愿意你们领导知道这种事吧？", True),
    ("你就不怕你们小区的人知道吗？", True),
    # the same wish answered by the agent's promise of privacy, or the agent's own promise
    ("您也不想让孩子知道吧？您放心，我们只和您本人联系。", False),
    ("如果您不希望家人知道，我们以后只打您本人的电话。", False),
    ("我们不会让您的同事知道这件事。", False),
    # ... unless the promise is followed by a contrast
    ("你也不想你老公知道吧？我们会保密，但是今天必须还上。", True),
])
def test_the_wish_that_others_not_know_as_leverage(rules: RuleSet, text: str,
                                                   raised: bool) -> None:
    assert (TPD in line_categories(_line(text), rules)) is raised


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # borrowing and not repaying in one compound, said of the debtor to a third party
    ("我是她表妹", "你表姐欠钱不还这事，你们家里知道吗？", True),
    ("我是他同学", "你那个同学借了不还，人也找不着。", True),
    # 他家 (his household) is the third person too
    ("我是他邻居", "他家欠我们的钱到现在都没给。", True),
    # a neighbour by where they live, then the debt
    ("我住她隔壁，她好几天没回来了。", "那你见到她说一声，她那笔贷款已经逾期了。", True),
    ("我住她隔壁，她好几天没回来了。", "好的，那我改天再联系她本人，谢谢。", False),
])
def test_plain_refusal_to_pay_and_neighbours_by_position(rules: RuleSet, reply: str, text: str,
                                                         raised: bool) -> None:
    assert (TPD in line_categories(_line(text, reply), rules)) is raised


@pytest.mark.parametrize(("reply", "verdict"), [
    ("我是住他楼上的，他家没人。", "deny"),
    ("我就住她对面，有什么事？", "deny"),
])
def test_a_neighbour_by_position_is_a_third_party(rules: RuleSet, reply: str,
                                                  verdict: str) -> None:
    assert classify_reply(reply, rules) == verdict


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # the family role said as a clause of its own, with what they must do
    ("他住院了", "你是他的家属，就得帮他把这期还款处理掉。", True),
    ("他住院了", "您作为他爱人，总得替他想想办法吧。", True),
    # the role without a payment asked, or the debtor's own household role
    ("他住院了", "您是他爱人的话，方便时让他回个电话。", False),
    (None, "您是家里的顶梁柱，还款计划您自己安排就好。", False),
])
def test_the_family_role_as_a_clause(rules: RuleSet, reply: str | None, text: str,
                                     raised: bool) -> None:
    assert (TPD in line_categories(_line(text, reply), rules)) is raised


@pytest.mark.parametrize(("reply", "text", "cats"), [
    # declining to tell a third party anything
    ("我是他表哥", "抱歉，他个人的事情我们不便透露，谢谢您。", set()),
    # the caller's own call back is no transfer
    ("她在开会，我是她同事", "好的，我过一会儿再打过来，麻烦您跟她说一声有电话找。", set()),
    # ... but the money moved is
    ("她在开会，我是她同事", "麻烦你让她今天把钱打过来。", {TPD}),
])
def test_declining_to_tell_and_calling_back(rules: RuleSet, reply: str, text: str,
                                            cats: set[str]) -> None:
    assert line_categories(_line(text, reply), rules) == cats


@pytest.mark.parametrize(("text", "raised"), [
    # the agent's side taking the matter up with the debtor's people, or asking them about it
    ("这事我们就跟你们单位反映一下。", True),
    ("我们只能跟你的家里人聊一聊你这个情况了。", True),
    ("我们已经向你的紧急联系人确认过你的还款能力。", True),
    ("你舅舅那边我们也打听过了。", True),
    # the agent's own boss, the listener's account manager, a denied contact
    ("我们会跟领导沟通一下，看能不能给您减免。", False),
    ("我们会跟您的客户经理沟通一下还款安排。", False),
    ("您家里人我们一个都没问过。", False),
    ("我们会向您的紧急联系人核实一下您的联系方式。", False),
])
def test_taking_the_matter_up_with_the_debtors_people(rules: RuleSet, text: str,
                                                      raised: bool) -> None:
    assert (TPD in line_categories(_line(text), rules)) is raised


@pytest.mark.parametrize(("text", "raised"), [
    # the debtor spoken of as the line's or the case's owner while the debt is named
    ("麻烦你跟机主说一声，他的信用卡欠款已经逾期了。", True),
    ("这个手机的主人在我们平台有一笔借款一直没还。", True),
    ("请你转告户主，车贷这个月又扣款失败了。", True),
    # the owner asked for, or addressed, with no debt told to anyone else
    ("麻烦您转告机主给我们回个电话，谢谢。", False),
    ("请问您是机主本人吗？", False),
    ("您名下的车贷还有三期就还完了。", False),
])
def test_the_debtor_as_the_owner_of_the_line(rules: RuleSet, text: str, raised: bool) -> None:
    assert (TPD in line_categories(_line(text), rules)) is raised


@pytest.mark.parametrize(("reply", "verdict"), [
    # a relation named with the pronoun dropped, ending its clause
    ("我是邻居，他家现在没人。", "deny"),
    ("我是家属，有什么事？", "deny"),
    ("我是保姆。", "deny"),
    # the asked person as the subject of being away or busy
    ("她去上班了。", "deny"),
    ("他现在住院，你们有什么事？", "deny"),
    # the asked person named as the speaker's own kin, or the phone as a relative's
    ("找我老公什么事？", "deny"),
    ("我爸在睡觉，你有什么事？", "deny"),
    ("这是她妈妈的手机。", "deny"),
    ("这手机是单位配的，他辞职了。", "deny"),
    # ... but the debtor speaking of their own family confirms as before
    ("是我，我老婆不知道这事。", "confirm"),
    # the debtor's own title or activity, or a plain confirmation, stays a confirmation
    ("是我，我是老板。", "confirm"),
    ("是的，我在上班，你说。", "confirm"),
    ("对，我是，你说。", "confirm"),
])
def test_bare_relations_and_the_debtor_reported_away(rules: RuleSet, reply: str,
                                                     verdict: str) -> None:
    assert classify_reply(reply, rules) == verdict


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # once such a reply is read as a third party, the debt told is disclosure
    ("我是家属，有什么事？", "他这个月的信用卡还款还没还上，您提醒他一下。", True),
    ("她去上班了。", "那麻烦你跟她说，她在我们这儿的分期已经逾期了。", True),
    ("她去上班了。", "好的，那我晚点再联系她本人。", False),
])
def test_the_debt_told_after_such_a_reply(rules: RuleSet, reply: str, text: str,
                                          raised: bool) -> None:
    assert (TPD in line_categories(_line(text, reply), rules)) is raised


@pytest.mark.parametrize(("text", "raised"), [
    # 专员|工号 holds 员工 across the word boundary, both ends inside real words: no person
    ("您好，我是借呗的催收专员工号三七二，您的欠款已经逾期了。", False),
    # a member ending on a boundary after a glued pronoun still counts (你家|人 holds 家人)
    ("你家人那边我们已经把情况都说明白了。", True),
])
def test_a_people_word_across_two_real_words(rules: RuleSet, text: str, raised: bool) -> None:
    assert (TPD in line_categories(_line(text), rules)) is raised


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # after a denial, the third party's question about the debt answered with the sum or the date
    ("我是他老婆，他到底欠了你们多少钱？", "本金加利息一共两万零四百。", True),
    ("我是她爸，她借了多少？", "五千块，都拖了三个月了。", True),
    ("我是他表弟，他什么时候借的？", "前年八月份借的。", True),
    # no sum (一块 as together, 万一, 千万), or the sum said to the debtor who confirmed
    ("我是他表弟。", "你们一块商量一下也行，让他尽快回电。", False),
    ("我是他表弟。", "万一他回来了，您千万让他回个电话。", False),
    ("是我，你说。", "您的账单欠款三万块，已经逾期了。", False),
])
def test_the_sum_told_after_a_denial(rules: RuleSet, reply: str, text: str,
                                     raised: bool) -> None:
    assert (TPD in line_categories(_line(text, reply), rules)) is raised


def test_a_positioned_rule_limits_its_patterns_too() -> None:
    """after_denial (and the other positions) gate a rule's phrases and patterns, not only its
    word-class expressions: without the call around it a positioned pattern raises nothing."""
    from auditor.compliance.matching import analyse, match_rule
    from auditor.compliance.rules import load_rules

    rules = load_rules()
    rule = next(r for r in rules.rules if r.id == "third_party.sum_after_denial_r15")
    assert rule.patterns and rule.after_denial
    assert match_rule(rule, analyse("一共三万块。", rules), rules) == []
