"""Abuse, new-loan and banned-service-phrase rules on wording written for these tests (issue 12):
each class of real wording (kinship swearing, insults without an insulting word, offers and pitches
of new credit, cash-out by resale, brush-offs as constructions) and its negative context (relatives,
debt statements, warnings against new credit, polite hand-offs, empathy, customers' own abuse).
None of these lines comes from corpus/real_wording.jsonl."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet

MINE = {"abuse", "new_loan", "impatience"}



def cats(rules: RuleSet, text: str, speaker: str = "agent") -> set[str]:
    utts: list[dict[str, Any]] = [{"speaker": speaker, "text": text, "start": 0.0, "end": 1.0}]
    flags, _ = audit_utterances(utts, rules)
    return {f["category"] for f in flags if not f["rule"].startswith("steps.")}


ABUSE = [
    "你这种人活着就是浪费空气。",
    "欠钱不还的东西，还好意思跟我讲条件。",
    "你就是个没用的窝囊废，连个工作都保不住。",
    "一个大男人天天躲着不接电话，跟个缩头乌龟似的。",
    "你爸妈养你这么大有什么用？",
    "难怪你老婆跟你离婚，谁受得了你。",
    "你这辈子也就这样了，没救了。",
    "装什么大尾巴狼，不就几千块钱吗。",
    "说话跟放屁似的，没一句算数。",
    "你脑子里装的都是浆糊吧？",
    "我看你就是个无赖，专门骗钱的。",
    "这么大岁数了还赖账，也不嫌臊得慌。",
    "你这脸皮比城墙还厚。",
    "一身穷酸气，还学别人借钱消费。",
    "嘴里没一句真话，张口就是瞎话。",
    "你跟蛆一样恶心。",
    "你还是人吗？",
    "你有没有点良心？",
    "你还要不要点脸了？",
    "活该你穷一辈子。",
    "睁眼说瞎话，你也不怕遭报应。",
    "你他妈还不还钱？",
    "他妈的，跟你说了多少遍了。",
    "妈的，又不接电话。",
    "妈的又不接电话。",
    "就他妈两千块，你装什么装？",
    "去你的吧。",
    "操你妈，赶紧还钱。",
    "你们全家都是老赖。",
    "跟你妈一个德行。",
]
NOT_ABUSE = [
    "您别着急，我们不是说您故意不还。",
    "您说得对，这个是我们系统的问题，给您添麻烦了。",
    "没关系，谁都有困难的时候。",
    "我们不是骗子，您可以打官方客服核实。",
    "您母亲身体还好吗？",
    "这个东西您收到了吗？是我们寄的还款通知。",
    "您这个情况我理解，可以先还一部分。",
    "您家孩子今年上几年级了？",
    "如果您觉得我们态度不好，可以投诉。",
    "C:你们就是一群骗子，吸血鬼！",
    "C:你他妈的别再打了！",
    "他是个老实人，只是最近手头紧。",
    "您说的那个人是您的同事吗？",
    "他妈妈上周住院了，这个月手头紧。",
    "他妈在家吗？麻烦让她接一下电话。",
    "你妈妈的电话打不通，我们就联系不上您。",
    "他妈的手机号码是多少？",
    "我奶奶的房子已经卖了。",
    "他奶奶的病花了不少钱。",
    "我妈的意思是下个月还。",
    "你老子当年也这样。",
    "你大爷身体还好吧？",
    "你妹妹在家吗？",
    "我们可以去你的公司当面谈吗？",
    "他们全家都在外地打工。",
    "我靠工资还款，每个月就那么点。",
]
NEW_LOAN = [
    "你手机上那些借钱的软件挨个试一遍，能借出来就先还我们。",
    "我给你推荐个平台，当天就能放款，你先把我们这边结了。",
    "你信用卡还有额度吧，取点现金出来先把这期还了。",
    "找你同事周转一下，把欠款先填上。",
    "你把手上的金子拿去当铺当了，钱就有了。",
    "用你老婆的信用卡先刷一下，把这期还上。",
    "网上那么多口子，随便撸一个都够还了。",
    "你去申请个保单贷，下来了先还我们这笔。",
    "公积金可以贷出来吧，贷了先把我们还上。",
    "我们有合作的资金方，可以帮你办一笔，先把这边结清。",
    "你找个贷款中介帮你包装一下，下款了还我们。",
    "你找个朋友帮你套个花呗，两千块马上就出来了。",
    "在二手平台挂个商品，自己用白条买下来，钱就到手了。",
    "找商家下单返现，用信用卡付，返的钱先还我们。",
]
NOT_NEW_LOAN = [
    "您在优选贷的借款还有一万七千块没还，逾期一百一十七天。您哪天可以还款？",
    "李国栋在好借银行的欠款三万九千元，已经逾期一百零三天了。",
    "您在星辰分期的贷款本金是八千，今天需要还款。",
    "您之前在借呗借的那笔钱，这个月应该还款了。",
    "您名下的信用卡账单是五千二，最低还款额是五百二。",
    "千万别去借网贷来还我们，那样只会越滚越多。",
    "我们不建议您以贷养贷，可以申请分期还款。",
    "您可以用工资分期还，不需要去借别的钱。",
    "您的花呗额度跟我们没有关系，我们只核对您的借款。",
    "您这笔借款是在我们平台借的，合同编号我发您短信。",
    "请您按时还款，不要再产生新的逾期。",
    "您可以跟家里人商量一下，看什么时候能还款。",
    "我们不会给您推荐任何借款平台，请您注意防范诈骗。",
    "如果有人给你推荐平台说当天放款，那基本都是诈骗。",
    "我给您介绍一下我们的分期方案，可以分十二期还款。",
    "我们合作的银行是工商银行，还款账户尾号三四五六。",
    "您可以在我们的app上申请分期，每期还款金额会少一些。",
    "您的额度已经冻结了，需要先还款才能恢复。",
    "您的信用卡有临时额度，但这个跟逾期没关系，先处理欠款。",
    "别相信那些不看征信就能借的广告，都是套路。",
    "手机卡欠费的话也会影响信用。",
    "您的车贷是另外的事，我们这里只管信用卡的欠款。",
    "您公积金每个月交多少？我们评估一下还款能力。",
    "您可以把家里不用的东西卖掉，凑一凑先还一部分。",
    "我们这边可以帮您申请减免，您先还本金。",
    "您先别急，我帮您申请一下延期还款。",
    "买个手机再转手卖掉，换了现金先还我们。",
    "您可以在花呗里确认收货后再申请退款。",
]
IMPATIENCE = [
    "这事儿你问我干嘛，我又不管这个。",
    "系统就是这么算的，算你倒霉。",
    "等着吧，我这会儿没空。",
    "没看见我这边正忙着吗？",
    "你不会自己打开app看一眼吗？",
    "怎么不早点打电话来问？",
    "都跟你讲了好几回了，还问。",
    "你是听不懂还是装听不懂？",
    "我一个字都不想再重复了。",
    "行了，别跟我绕弯子了。",
    "你到底有完没完？",
    "懒得搭理你。",
    "你爱怎么想就怎么想，我无所谓。",
    "你爱去哪告就去哪告。",
    "这个我处理不了，你别找我。",
    "说重点，别东拉西扯的。",
    "我没那个闲工夫陪你聊。",
    "反正我就是这个规定，你接受不了也得接受。",
    "你嚷嚷什么，我又没聋。",
    "这么点事还要问，你自己不动脑子吗？",
    "我说话你听不听得懂？",
    "你能不能别再打断我了？",
    "不想听你找借口。",
    "我要是你我早就还了，还在这磨嘴皮子。",
]
NOT_IMPATIENCE = [
    "您听清楚了吗？需要我再说一遍吗？",
    "不好意思问了您这么多，核实身份是必要的流程。",
    "这个问题我这边处理不了，我帮您转给专员，稍后会有人联系您。",
    "您别着急，我再跟您解释一遍。",
    "这事您不用找我，直接拨打客服热线就可以。",
    "您看一下短信，还款金额和日期都写在上面。",
    "我们不会不管您的，困难的话可以申请分期。",
    "您说的这些我都记下了，我帮您反馈一下。",
    "如果您有疑问，可以打客服热线咨询。",
    "您现在方便的话，我简单说一下还款方案。",
    "您之前问过这个问题，我再给您说明一下。",
    "我帮您申请一下减免，结果出来通知您。",
    "请问您明白我的意思了吗？",
    "您不会操作的话，我可以一步一步教您。",
    "您以前是怎么还款的？还是用尾号三四五六的卡吗？",
    "请问您现在是不是不方便？我晚点再打。",
    "这个我确实不太清楚，我去帮您问一下同事。",
    "抱歉打断您一下，我确认一下金额。",
    "怪我没说清楚，我重新说一遍。",
    "您别担心，这个不会影响您的工作。",
    "C:你们别再给我打电话了，烦不烦！",
    "C:我又不管这个，你找我老公去。",
]


@pytest.mark.parametrize("text", ABUSE)
def test_abuse_classes_fire(rules: RuleSet, text: str) -> None:
    assert "abuse" in cats(rules, text)


@pytest.mark.parametrize("text", NOT_ABUSE)
def test_relatives_and_polite_talk_are_not_abuse(rules: RuleSet, text: str) -> None:
    speaker = "customer" if text.startswith("C:") else "agent"
    assert not cats(rules, text.removeprefix("C:"), speaker) & MINE


@pytest.mark.parametrize("text", NEW_LOAN)
def test_new_credit_pushes_fire(rules: RuleSet, text: str) -> None:
    assert "new_loan" in cats(rules, text)


@pytest.mark.parametrize("text", NOT_NEW_LOAN)
def test_debt_statements_and_warnings_are_not_new_loans(rules: RuleSet, text: str) -> None:
    assert "new_loan" not in cats(rules, text)


@pytest.mark.parametrize("text", IMPATIENCE)
def test_brush_off_constructions_fire(rules: RuleSet, text: str) -> None:
    assert "impatience" in cats(rules, text)


@pytest.mark.parametrize("text", NOT_IMPATIENCE)
def test_polite_handoffs_and_empathy_are_not_impatience(rules: RuleSet, text: str) -> None:
    speaker = "customer" if text.startswith("C:") else "agent"
    assert not cats(rules, text.removeprefix("C:"), speaker) & MINE


def test_customer_swearing_is_never_the_agents(rules: RuleSet) -> None:
    assert not cats(rules, "你他妈的别再打了！", "customer") & MINE
    assert "abuse" in cats(rules, "你他妈的别再打了！", "agent")


@pytest.mark.parametrize(("text", "category"), [
    ("你爱打一二三七八就打，我不拦着。", "impatience"),   # 爱 X … 就 X, any verb
    ("别跟我讲什么困难，谁没点难处。", "impatience"),     # hardship dismissed
    ("困难你自己克服，钱必须今天到。", "impatience"),
    ("你这个小赤佬，钱不还还敢挂电话。", "abuse"),         # regional insult
    ("你征信还没花，现在去申请还能批，批了先还我们。", "new_loan"),  # 'you can still get credit'
])
def test_more_classes(rules: RuleSet, text: str, category: str) -> None:
    assert category in cats(rules, text)


@pytest.mark.parametrize("text", [
    "我们热爱这份工作就要做好服务。",
    "您有困难的话可以跟我说，我帮您申请延期。",
    "遇到问题您可以自己在app里查，也可以打客服电话。",
    "下午十三点之前请您还款。",
])
def test_more_near_misses(rules: RuleSet, text: str) -> None:
    assert not cats(rules, text) & MINE


@pytest.mark.parametrize("text", [
    "你名下不是还有张卡吗，先透支出来还我们。",       # overdraw a card
    "让你老板预支一个月工资先还上。",                 # wage advance
    "网上随便找个小贷公司，身份证一刷就有钱。",       # lender + pitch
    "现在很多平台都在放款，你去试试。",
])
def test_overdraft_advance_and_pitch_are_pushes(rules: RuleSet, text: str) -> None:
    assert "new_loan" in cats(rules, text)


@pytest.mark.parametrize("text", [
    "您的信用卡已经透支了五千，需要尽快还款。",       # the overdraft is the debt
    "我们平台目前暂停放款，您先处理现有欠款。",
])
def test_overdraft_as_the_debt_is_not_a_push(rules: RuleSet, text: str) -> None:
    assert "new_loan" not in cats(rules, text)


@pytest.mark.parametrize(("text", "category"), [
    ("就这么几百块还拖着，穷到这份上了？", "abuse"),
    ("这么点钱都还不上，你活着图什么？", "abuse"),
    ("欠钱的是大爷啊？", "abuse"),
    ("这么点小事还得我一遍遍教你？", "impatience"),
    ("我跟你讲过不下十次了。", "impatience"),
    ("这个问题你问了八遍了。", "impatience"),
    ("你这人怎么这么磨叽。", "impatience"),
    ("规定就这样，你不同意也没办法。", "impatience"),
    ("自己看短信，写得清清楚楚。", "impatience"),
    ("你还要我怎么说你才明白？", "impatience"),
    ("我哪有空一个个给你解释。", "impatience"),
    ("不还拉倒，反正记录在那。", "impatience"),
])
def test_paraphrases_of_the_classes(rules: RuleSet, text: str, category: str) -> None:
    assert category in cats(rules, text)


@pytest.mark.parametrize("text", [
    "我之前跟您说过两次，这次再确认一下金额。",   # a recap, not a reproach
    "您之前问过三次，我再解释一下。",
    "您不同意的话也没关系，我们可以再商量方案。",
    "您可以自己看一下短信，金额都写在里面。",
    "您稍等，我这边忙完马上给您回电。",
    "请问您还要我帮您查什么？",
    "疫情那几年很多人都难到这个地步，我们理解。",
    "他一直在外地打工，活着挺不容易的。",
])
def test_paraphrase_near_misses(rules: RuleSet, text: str) -> None:
    assert not cats(rules, text) & MINE


@pytest.mark.parametrize("text", [
    "去找个担保公司，办下来先把我们这个清了。",
    "你把房子抵押了，钱不就有了吗？",          # 把…抵押了 is an instruction
    "先刷别的卡把我们这张还了，下个月再说。",  # one card paying another
    "用别的信用卡还这张卡，很多人都这么干。",
    "你去下个借钱软件，几分钟就到账。",
])
def test_card_to_card_pledges_and_apps_are_pushes(rules: RuleSet, text: str) -> None:
    assert "new_loan" in cats(rules, text)


@pytest.mark.parametrize("text", [
    "拿你的手机去回收店卖了，先还一点。",          # selling one's own goods is no new credit
    "您的借款可以申请展期，不需要去别的地方借钱。",
    "您的房子之前抵押过吗？我们只是了解一下还款能力。",
    "千万不要用别的信用卡来还这张卡，会越欠越多。",
    "您的分期申请批下来了，下个月开始按新计划还款。",
    "您的车贷是之前办下来的，跟这笔欠款无关。",
])
def test_pledge_and_card_talk_that_is_not_a_push(rules: RuleSet, text: str) -> None:
    assert "new_loan" not in cats(rules, text)
