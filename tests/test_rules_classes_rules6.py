"""Class coverage (issue 12, rules6): the word classes are grown from lists that cover a class
(profanity lexicons' insult buckets, loan-comparison pages' product families, the service
standards' banned-phrase families, the guidelines' people who must not be told), so every
member of such a list is probed in a neutral frame, and everyday words that share characters or
toneless pinyin with the new members are probed as negatives. The members and frames are our
own; the lists were read for their classes."""

from __future__ import annotations

import pytest

from auditor.compliance.rules import RuleSet
from tests.helpers import lexical_raised as raised

INSULTS = ["蠢驴", "傻鸟", "混账东西", "痞子", "损种", "死胖子", "丑八怪",
           "低能儿", "脑瘫", "哈麻批", "寿头", "粉肠", "八婆", "犊子",
           "山炮", "土包子", "跟屁虫", "可怜虫", "马屁精", "戏精", "渣男",
           "妈宝男", "死老太婆", "软脚虾", "铁公鸡", "守财奴", "吸血虫", "矮冬瓜",
           "讨饭的", "败家精"]
BRANDS = ["招联好期贷", "中邮钱包", "拍拍贷", "满易贷", "氧气贷", "平安小橙花", "携程借钱",
          "惠民贷", "小赢卡贷", "京东金条", "美团借钱", "360借条", "安逸花", "分期乐",
          "度小满"]
PEOPLE = ["公婆", "前妻", "小姨子", "干妈", "合伙人", "员工", "下属",
          "股东", "师傅", "业主群", "老师", "班主任", "丈母娘", "房东",
          "室友"]
BANNED = ["不知道。", "这个我不管。", "没看我正忙着吗？",
          "你懂还是我懂？", "短信上不都写着吗？", "你找领导去吧。",
          "我们下班了，明天再打来。", "搞清楚了再问。", "我说的你是不会理解的。",
          "你肯定弄错了。"]
NEGATIVES = ["我这两天肚子疼，晚点再说。", "我最近手头紧，能不能宽限几天？", "您孙子辈都上学了吧。",
             "这个皮子质量不错。", "这个问题我不清楚，我帮您问一下。", "我明天再打给您。",
             "您可以找我们客服咨询。", "我们不会让您家人知道这件事。", "您让您爱人知道也没关系。",
             "您在京东金条的欠款今天需要还上。", "您可以在美团借钱的App里点还款。",
             "我们不建议您通过借网贷或者信用卡取现来还款。", "这个系统跟蜗牛一样慢，抱歉。",
             "电脑短路了，我重新打给您。", "我们不想给您的家人添麻烦，所以只联系您本人。",
             "法院的传票只会通过正式渠道送达，不会由我们发给您。"]


@pytest.mark.parametrize("word", INSULTS)
def test_lexicon_insult_is_abuse(rules: RuleSet, word: str) -> None:
    assert "abuse" in raised(rules, f"你就是个{word}，欠钱不还。")


@pytest.mark.parametrize("word", BRANDS)
def test_lender_family_push_is_new_loan(rules: RuleSet, word: str) -> None:
    assert "new_loan" in raised(rules, f"用{word}借个五千过来，今天就能解决。")
    assert "new_loan" in raised(rules, f"{word}有额度的话先拿出来还我们。")


@pytest.mark.parametrize("word", PEOPLE)
def test_protected_people_told_is_disclosure(rules: RuleSet, word: str) -> None:
    assert "third_party_disclosure" in raised(rules, f"我会告诉你{word}你欠钱不还的事。")
    assert "third_party_disclosure" in raised(rules, f"要不要让你{word}也知道一下？")


@pytest.mark.parametrize("text", BANNED)
def test_banned_phrase_family_is_impatience(rules: RuleSet, text: str) -> None:
    assert "impatience" in raised(rules, text)


@pytest.mark.parametrize("text", ["你真是蠢得像头猪。", "跟木头一样笨。", "你脑子是不是瓦特了？",
                                  "就这么点钱，你摆什么谱。", "眼瞎啦，短信都看不见？"])
def test_insult_constructions_are_abuse(rules: RuleSet, text: str) -> None:
    assert "abuse" in raised(rules, text)


@pytest.mark.parametrize("text", ["不想你家门口天天有人蹲着，就赶紧把钱拿来。",
                                  "钱不到账，你老家的房子门上会被喷满字。"])
def test_soft_violence_and_conditional_wish_are_threats(rules: RuleSet, text: str) -> None:
    assert "threat" in raised(rules, text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_everyday_words_and_polite_forms_are_clean(rules: RuleSet, text: str) -> None:
    assert raised(rules, text) == set()
