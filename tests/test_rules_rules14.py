"""rules14's classes, on lines written for these tests (not dev or corpus lines): a third party
known by the firm that answered or by the relation said of the two of them, the listener asked
to pay for the debtor, a denied duty, a contact verb with a resultative complement aimed at the
debtor in person, and the listener consulting their own people."""

from __future__ import annotations

import pytest

from auditor.compliance.rules import RuleSet
from auditor.compliance.steps import classify_reply
from bench.eval_rules import line_categories

TPD = "third_party_disclosure"


def _after(reply: str, text: str) -> dict[str, object]:
    return {"speaker": "agent", "text": text, "context": [{"speaker": "customer", "text": reply}]}


def _alone(text: str) -> dict[str, object]:
    return {"speaker": "agent", "text": text}


@pytest.mark.parametrize(("reply", "verdict"), [
    # the phone answered with a firm's name (its ending), or as one of the firm's people
    ("喂，这里是恒昌建材。", "deny"),
    ("你好，这边是金桥酒店。", "deny"),
    ("我是顺风物流的，你找哪位？", "deny"),
    # the relation said of the two of them
    ("我跟她就是个普通同事。", "deny"),
    ("我和他是老同学，好久没联系了。", "deny"),
    # the debtor speaking of their own debt or work denies nothing
    ("我是在你们公司借的，怎么了？", "confirm"),
    ("是我，我在物流公司上班。", "confirm"),
])
def test_a_third_party_known_by_the_firm_or_the_relation(rules: RuleSet, reply: str,
                                                         verdict: str | None) -> None:
    assert classify_reply(reply, rules) == verdict


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # after the firm answered, the debt named to it
    ("这里是恒昌建材", "麻烦转告一下，他信用卡上的钱一直没还。", True),
    ("这里是恒昌建材", "麻烦帮我找一下刘强，请他回个电话。", False),
    # after the relation said of the two of them, a relay naming the money
    ("我跟她就是个普通同事", "那你跟她说，她那笔钱躲着不还没用的。", True),
    ("我跟她就是个普通同事", "那麻烦您让她方便的时候回个电话。", False),
])
def test_the_debt_named_to_that_third_party(rules: RuleSet, reply: str, text: str,
                                            raised: bool) -> None:
    assert (TPD in line_categories(_after(reply, text), rules)) is raised


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # the listener asked to cover the debtor's payment, the object between
    ("我是他舅舅", "那您先帮他把这期的一千五补上吧。", True),
    ("我是她闺蜜", "你能不能替她先还上，回头让她还你。", True),
    # told they need not, or asked for a call-back, they are told nothing
    ("我是他舅舅", "您不用替他还，我们找他本人就行。", False),
    ("我是她闺蜜", "麻烦您帮她留意一下手机，让她回个电话。", False),
])
def test_the_listener_asked_to_pay_for_the_debtor(rules: RuleSet, reply: str, text: str,
                                                  raised: bool) -> None:
    assert (TPD in line_categories(_after(reply, text), rules)) is raised


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # a duty denied is no missed payment; the contact verb aimed at the debtor in person
    ("我是他表哥", "您作为联系人没有替他还钱的责任，我们只是想找到他本人。", False),
    ("我是他表哥", "放心，您没有还款的义务，麻烦他方便时回个电话。", False),
    # a missed payment said plainly still is
    ("我是他表哥", "他一直没有还款，您帮忙催一下。", True),
])
def test_a_denied_duty_and_the_debtor_in_person(rules: RuleSet, reply: str, text: str,
                                                raised: bool) -> None:
    assert (TPD in line_categories(_after(reply, text), rules)) is raised


@pytest.mark.parametrize(("text", "raised"), [
    # the debtor invited to consult their own people about a plan
    ("您可以先和您爱人沟通一下还款的安排。", False),
    ("你跟家里人合计一下这笔欠款怎么还。", False),
    # whose debt it is said to the family first is still disclosure
    ("你老公欠我们的钱，你跟家里人商量一下怎么还。", True),
])
def test_the_listener_consulting_their_own_people(rules: RuleSet, text: str,
                                                  raised: bool) -> None:
    assert (TPD in line_categories(_alone(text), rules)) is raised


@pytest.mark.parametrize(("reply", "verdict"), [
    # the asked person spoken of in the third person, or the message offered to be taken
    ("你们找她干啥？", "deny"),
    ("他是不是又欠你们钱了？", "deny"),
    ("跟我说也一样，我帮你转告。", "deny"),
    # a reply that also confirms, or talks of the debt as the speaker's own, is no denial
    ("是我，他的事我知道。", "confirm"),
    ("找他干嘛，我下周还。", "question"),
])
def test_the_asked_person_spoken_of_in_the_third_person(rules: RuleSet, reply: str,
                                                        verdict: str | None) -> None:
    assert classify_reply(reply, rules) == verdict


@pytest.mark.parametrize(("reply", "text", "raised"), [
    # the debtor named in the third person as the one who owes, to whoever answered
    ("你是谁？", "我们是华信金融的，刘洋在我们这有一笔逾期的款项。", True),
    ("喂？", "周磊欠了我们一万多，到现在一直没还。", True),
    # named as the listener, with a title or a pronoun between, the debt is theirs
    ("是我", "刘洋先生，您在我们这儿的借款逾期三天了。", False),
    ("是我", "刘洋，你在我们这借的钱什么时候能还？", False),
    # the agent's own role in a self-introduction is no one's people
    ("是我", "我是您的客户经理张伟，您在我们这的账单已经出了。", False),
    # a call-back request by name names no debt
    ("我是他同事", "刘洋方便的时候让他回个电话，谢谢。", False),
])
def test_the_debtor_named_in_the_third_person(rules: RuleSet, reply: str, text: str,
                                              raised: bool) -> None:
    assert (TPD in line_categories(_after(reply, text), rules)) is raised


@pytest.mark.parametrize(("text", "raised"), [
    # the contact reported as made, the verb with its aspect; the short sibling forms
    ("我们已经给你哥打过电话了，他说会劝你还。", True),
    ("我们昨天给你姐发了短信。", True),
    # the listener's matter reported told to a person named before, by pronoun
    ("你同事小王接的电话，我们已经跟他说了你的情况。", True),
    # a call-back passed on, one's own supervisor, a kind question: nobody told of the debt
    ("您父亲接的电话，我们只跟他说了请您回电。", False),
    ("我已经跟我们主管说了您的情况，他会帮您申请。", False),
    ("你哥最近身体还好吧？", False),
])
def test_a_contact_reported_made(rules: RuleSet, text: str, raised: bool) -> None:
    assert (TPD in line_categories(_alone(text), rules)) is raised


def test_a_stated_limit_of_legal_power_corroborates_nothing(rules: RuleSet) -> None:
    from auditor.compliance.matching import analyse, layer_support

    # the law explained: a lawyer's letter has no force, only a court enforces
    for text in ("律师函只是律所发的一种通知，本身没有法律效力。",
                 "只有法院才有权冻结账户，我们做不到。"):
        assert layer_support("false_legal", analyse(text, rules), rules, "member") == []
    # the force claimed still corroborates
    claim = analyse("律师函已经生效了，明天就强制执行。", rules)
    assert layer_support("false_legal", claim, rules, "member")


@pytest.mark.parametrize(("text", "raised"), [
    # a spouse or child named politely or colloquially, possessed, with their debt
    ("您先生的信用卡已经逾期三个月了。", True),
    ("你家小子在外面欠了一屁股债。", True),
    ("你那个好兄弟借了我们的钱一直没还。", True),
    # the same words without a debt, and a title said to the debtor, are nothing
    ("您先生的工资一般几号发？", False),
    ("先生，您的欠款已经逾期三天了。", False),
])
def test_a_relative_named_politely_or_colloquially(rules: RuleSet, text: str,
                                                   raised: bool) -> None:
    assert (TPD in line_categories(_after("喂，哪位？", text), rules)) is raised


@pytest.mark.parametrize(("reply", "verdict"), [
    # the asked person as one of the speaker's side, or working where the speaker is
    ("他是我们这的员工，今天休息。", "deny"),
    ("她是我们公司的，出去办事了。", "deny"),
    ("他在我这干活，现在不在。", "deny"),
    ("她是我儿媳妇。", "deny"),
    # the speaker confirming is no third party
    ("是我，你说。", "confirm"),
])
def test_the_asked_person_as_one_of_the_speakers_side(rules: RuleSet, reply: str,
                                                      verdict: str | None) -> None:
    assert classify_reply(reply, rules) == verdict


def test_v_le_zaishuo_proposes_an_act(rules: RuleSet) -> None:
    import dataclasses

    alone = dataclasses.replace(rules, examples=None)
    # 还了再说: do it first, then we'll see; a proposal, not the past
    assert "new_loan" in line_categories(_alone("找你同学先借个三千，把这期还了再说。"), alone)
    # the existing debt paid from a loan in the past stays no push
    assert "new_loan" not in line_categories(_alone("您上个月借的那笔已经还了，谢谢。"), alone)


def test_a_lender_tagged_as_a_name_is_no_person(rules: RuleSet) -> None:
    # jieba tags some lender names as personal names (易达贷): said to the debtor, the debt in
    # that lender is theirs
    text = "易达贷贷后部，工号四二二二八。您在易达贷的借款欠款三万七千元，已经逾期九十二天了。"
    assert TPD not in line_categories(_after("是我", text), rules)
