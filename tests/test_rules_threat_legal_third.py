"""Threats, false legal claims and third-party disclosure worded the many ways people say them
(issue 12, rules3a). Every line here was written for this test from the KINDS of wording that
complaint posts, news on soft-violence collection, fake-legal-notice debunking pages and the
collection guideline describe (see docs/rule-sources.md); none comes from the corpus. Compliant
near-misses: reassurance, lawful hedged notices, visit procedure, relaying a call-back request,
advice to talk to one's own family, a plain debt statement, kinship words."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet

LEXICAL = {"threat", "false_legal", "third_party_disclosure"}



def cats(rules: RuleSet, text: str, before: list[tuple[str, str]] | None = None) -> set[str]:
    """Categories the rules raise on the last utterance (agent), after optional earlier turns."""
    utts: list[dict[str, Any]] = []
    for k, (speaker, said) in enumerate(before or []):
        utts.append({"speaker": speaker, "text": said, "start": float(k), "end": k + 0.9})
    last = float(len(utts))
    utts.append({"speaker": "agent", "text": text, "start": last, "end": last + 0.9})
    flags, _ = audit_utterances(utts, rules)
    return {f["category"] for f in flags
            if not f["rule"].startswith("steps.") and f["start"] >= last}


VIOLATING = [
    ("threat", "明天我们的同事就去你户籍地走一趟"),
    ("threat", "我们已经安排人去你老家了，你爸妈在家吧"),
    ("threat", "你再拖着，我让外访的人天天去你单位门口等你"),
    ("threat", "你住哪个小区我们都清楚，别以为能躲"),
    ("threat", "要是今天还不处理，你家门口明天就有花圈"),
    ("threat", "识相点赶紧还，别逼我们用别的办法"),
    ("threat", "你不还的话，后果你自己掂量掂量"),
    ("threat", "你老婆上下班那条路我们都知道，让她注意安全"),
    ("threat", "我保证让你在网上出名，全城都认识你"),
    ("threat", "以后你每天都会接到几十个电话，一直打到你还为止"),
    ("threat", "你换号也没用，我们照样找得到你"),
    ("threat", "你女儿在哪个学校读书我们都查过了"),
    ("threat", "信不信我找几个兄弟过去跟你聊聊"),
    ("threat", "不还钱就等着我们上你家去"),
    ("threat", "你欠的钱不还，我们会把你的照片做成海报贴到你们小区"),
    ("false_legal", "你的案子已经移交给律师了，下周就开庭"),
    ("false_legal", "你这属于恶意逃废债，是要追究刑事责任的"),
    ("false_legal", "公安那边已经在查你了"),
    ("false_legal", "我们是法院执行局的，今天通知你去领传票"),
    ("false_legal", "起诉材料今天下午就递交法院，你等着当被告吧"),
    ("false_legal", "明天执行法官就会联系你"),
    ("false_legal", "你名下的银行卡和微信零钱马上会被冻结"),
    ("false_legal", "不还款就是骗取贷款，够判你几年的"),
    ("false_legal", "你已经被列为重点处理对象，案件编号都出来了"),
    ("false_legal", "我们的律师团队已经介入，准备申请强制执行"),
    ("false_legal", "你这个情况已经构成诈骗了"),
    ("false_legal", "到时候户籍地派出所会上门找你"),
    ("false_legal", "三天内不还，法院就会直接划走你卡里的钱"),
    ("false_legal", "你要是不还，就会被限制坐飞机高铁，孩子也考不了公务员"),
    ("third_party_disclosure", "我已经给你们公司人事打过电话了，说你欠钱不还"),
    ("third_party_disclosure", "你姐姐那边我们也通知了，她说会劝你"),
    ("third_party_disclosure", "麻烦你转告你弟弟，他欠我们的八千块钱这周必须还上"),
    ("third_party_disclosure", "你是他爸爸吧，你儿子在我们平台借的钱一直没还"),
    ("third_party_disclosure", "你作为他老婆，这钱你也有义务帮他还"),
    ("third_party_disclosure", "你们家的事我们会让你们村里人都知道"),
    ("third_party_disclosure", "你不接电话，我们只能联系你通讯录里的朋友了"),
    ("third_party_disclosure", "我们会给你领导发一封函，说明你的欠款情况"),
    ("third_party_disclosure", "你要是不还，你的同事明天都会收到我们的短信"),
    ("third_party_disclosure", "叫他赶紧把钱还了，别连累家里人"),
    ("third_party_disclosure", "他在我们这借了两万，逾期三个月了，你让他尽快处理"),
    ("third_party_disclosure", "我们已经把你的欠款情况告诉你父母了"),
    ("threat", "你信不信我明天就带人去你家堵你"),
    ("threat", "我们当地的同事已经在你们小区附近了"),
    ("threat", "你那个店我们知道在哪，过两天去看看"),
    ("threat", "再不接电话，你全家都别想安生"),
    ("threat", "我们会一直打，打到你家里人都烦你"),
    ("threat", "你老公单位的地址我们也有，到时候别怪我们"),
    ("threat", "这钱你不还，这辈子都别想好过"),
    ("threat", "要是还不上，你儿子那边可能会出点什么事"),
    ("threat", "你这种人我们见多了，有的是办法治你"),
    ("false_legal", "你的资料我们已经报给公安了"),
    ("false_legal", "法院的立案通知明天就寄到你家"),
    ("false_legal", "我是某某律师事务所的律师，受委托正式通知你明天到庭"),
    ("false_legal", "再不还，你就会被拘留十五天"),
    ("false_legal", "我们这边已经申请了对你名下财产的冻结"),
    ("false_legal", "你这是诈骗行为，平台已经报警了"),
    ("false_legal", "今天不处理，明天法务部就直接起诉，后天就强制执行"),
    ("false_legal", "你现在已经是失信被执行人了，高铁飞机都坐不了"),
    ("false_legal", "我们已经联系了你户籍地的派出所"),
    ("false_legal", "拖欠不还是要坐牢的，你自己想清楚"),
    ("third_party_disclosure", "你表哥电话我们有，要不要我们打给他说说你的事"),
    ("third_party_disclosure", "我们会发函到你们单位人事部门，说明你的欠款"),
    ("third_party_disclosure", "你朋友圈里的人我们都会挨个通知"),
    ("third_party_disclosure", "你邻居要是知道你欠钱不还，会怎么看你"),
    ("third_party_disclosure", "你不处理，那我只能找你爸妈谈谈这笔钱的事了"),
    ("third_party_disclosure", "你是他同事吧，他欠了我们平台三万块钱"),
    ("third_party_disclosure", "你让你老公赶紧还钱，不然我们天天打给他单位"),
    ("third_party_disclosure", "跟你女儿说，信用卡欠的钱下周前必须还"),
    ("threat", "我们的人已经到你公司楼下了"),
    ("threat", "我们已经派外访的同事过去了，下午就到你家"),
    ("false_legal", "你这个案子下周就开庭，你不来就缺席判决"),
    ("third_party_disclosure", "你那些同事知道你欠了一屁股债吗？我们不介意告诉他们"),
    ("third_party_disclosure", "你朋友张三在我们这儿有笔款子一直没处理"),
    ("third_party_disclosure", "你帮我劝劝你老公，这钱再拖下去不行"),
    ("third_party_disclosure", "麻烦你催一下你弟弟，他那笔借款已经逾期了"),
    ("third_party_disclosure", "我们已经联系过你的紧急联系人，把情况都说了"),
    ("threat", "我们的人就在你家附近转悠"),
    ("threat", "你不还，我们就去你单位闹，闹到人尽皆知"),
    ("threat", "以后你的电话不会停，别想清静"),
    ("false_legal", "你的案子已经到了执行阶段"),
    ("false_legal", "你的征信已经被拉黑了，以后什么都办不了"),
    ("false_legal", "你的行为已经触犯了刑法"),
    ("third_party_disclosure", "你爸妈那边，我们已经打过招呼了"),
    ("third_party_disclosure", "你们公司前台我们也联系了，说有急事找你"),
    ("third_party_disclosure", "你通讯录上那几个人，今天都会收到提醒"),
    ("third_party_disclosure", "你不配合，我们就请你舅舅来评评理"),
    ("false_legal", "我们是区法院委托的调解中心，你的案子在我们这"),
    ("false_legal", "传票下周就到你家了"),
    ("false_legal", "你这属于拒不履行，法院会直接拘你"),
    ("false_legal", "我们这边已经给你申请了限高"),
    ("threat", "你信不信我让你在这个城市待不下去"),
    ("threat", "你再不接，我们就一个一个打你亲戚的电话"),
    ("threat", "晚上走路小心点"),
    ("threat", "你家那辆车停哪我们都知道"),
]

COMPLIANT = [
    "我们不会联系您的家人，也不会告诉您单位",
    "请您放心，您的信息我们只会跟您本人核对",
    "麻烦您转告他给我们回个电话，谢谢",
    "如果协商不成，我们可能会依法起诉",
    "逾期会影响您的征信，请尽快处理",
    "依据合同约定，逾期后我们有权通过法律途径解决",
    "您可以跟家里人商量一下，看怎么安排还款",
    "您给家人打个电话问问，看能不能帮您周转一下",
    "我们不会上门，也不会去您单位",
    "上门拜访需要提前和您预约，您不同意我们就不会去",
    "您是说有人威胁要去您家？我们公司绝对不会这样做",
    "网上说不还钱会坐牢，那是不对的，这是民事纠纷",
    "您妈妈住院了是吧，我们理解，可以帮您申请延期",
    "您在我们平台的借款还有五千没还，今天能处理吗",
    "您的信用卡本期账单到期了，最低还款是八百元",
    "您放心，我们不会冻结您的账户，也不会影响您孩子上学",
    "您这个不涉及刑事，只是正常的逾期",
    "请问您是他什么人？方便的话请他给我们回电",
    "您可以跟您爱人说一下，看看家里怎么安排",
    "我们的外访同事会提前和您预约，出示工作证",
    "您家人的安全最重要，先处理家里的事吧",
    "案件编号是三七二一，您可以记一下",
    "如果长期逾期，机构可能会依法申请强制执行",
    "您是担心我们会告诉您家人吗？不会的",
    "我们不会把您的情况告诉任何第三方",
    "您的欠款信息我们会严格保密",
    "我们只跟您本人沟通，不会打扰您的家人和同事",
    "请您按时还款，避免产生罚息",
    "如您对账单有疑问，可以拨打客服电话核实",
    "根据合同，逾期记录会如实上报征信",
    "若您一直不还，银行有权依法向法院提起诉讼",
    "诉讼是最后的手段，我们更希望跟您协商",
    "请问您方便告诉他，让他回个电话给我们吗",
    "好的，那我们换个时间再联系您本人",
    "您说您爱人会帮您还，那我们就等您的消息",
    "您孩子上学要用钱，我们理解，可以申请分期",
    "您说您已经报警了？您有这个权利，我们的通话都有录音",
    "我们不是法院，也不是警察，只是平台的贷后客服",
    "您别担心，逾期不会坐牢，这是民事纠纷",
    "法院的传票只会由法院送达，我们不会给您发",
    "有人冒充我们说要冻结您的微信，那是诈骗，请不要相信",
    "您妈妈的医药费要紧，我们可以缓几天",
    "您之前在我们平台借的款，这期还有两千没还",
    "我们的工作人员不会上门，您放心",
    "您的案件编号是二零八八，有问题可以随时查询",
    "如果您长期不还，可能会被法院列为失信被执行人",
    "我们不会天天打电话打扰您，只是提醒一下",
    "您需要的话，我们可以把还款方案发到您的手机上",
    "您家人知道您借款的事吗？",
    "这笔借款您爱人知道吗",
    "我们明天就给您发还款方案",
    "您今天就可以在app上还款",
    "您放心，我们不会去您那边",
    "您的还款我们明天就能确认到账",
    "您家人要是知道您在积极处理，也会放心的",
    "您那边方便说话吗？",
    "我这就把还款链接发给您",
    "我们会给您发一条短信，里面有还款账号",
    "您可以让您家人帮忙提醒您还款日",
    "他要是回来了，麻烦让他给我们回个电话",
    "请问您认识王建军吗？他留的是这个号码",
    "我们的同事马上就到岗了，稍后给您回电",
    "我会跟您的客户经理说一下，让他帮您申请减免",
    "您的邻居不会知道这件事，我们只联系您本人",
    "您要是对金额有异议，可以明天就去网点核对",
    "如果您一直不还，平台可能会依法起诉，后续由法院判决",
    "您可以让家人提醒您按时还款",
    "您的朋友也不会知道这笔借款，我们只联系您本人",
    "您如果手头紧，可以跟家人商量一下",
    "请问您是他朋友吗？麻烦转告他尽快回电",
    "您朋友说您最近在外地，我们就直接联系您了",
    "您这边的案件编号是四五七八，有问题可以随时查询",
    "您的征信记录目前是正常的，按时还款就不会受影响",
    "您说想去单位开收入证明，那您先去办",
    "您家附近有网点的话，也可以去柜台还款",
    "如果您对催收方式不满意，可以向监管部门投诉",
    "如果协商不成，我们将依法起诉，届时由法院判决",
    "按合同约定，逾期超过九十天将转交法务部门处理",
    "您的案件已经转到我们贷后部门了",
    "明天就是还款日了，记得存钱",
    "我们已经给您发了还款提醒短信",
    "紧急联系人只是用来联系您的，我们不会告诉他欠款的事",
    "如果您不方便，可以让您爱人转告您回电",
    "他要是不方便接，您让他回个电话就行",
    "您的工作单位我们不会联系",
    "我们不会给您单位打电话",
    "法院判决后，才会有强制执行",
    "您今天就把这期还了，就不会上征信",
    "您放心，我们不会让您家里人知道",
    "您是担心家人知道吗？我们会保密的",
    "您孩子的学费要紧，我们可以帮您申请延期",
    "他说他是您同事，我们没有跟他说任何事",
    "我们马上给您发一个还款链接",
    "我们会按规定上报征信，请您尽快处理",
    "您的还款已经到账了，谢谢",
    "好的，我们下午再给您打电话",
]


@pytest.mark.parametrize(("category", "text"), VIOLATING)
def test_violation_is_found(rules: RuleSet, category: str, text: str) -> None:
    assert category in cats(rules, text)


@pytest.mark.parametrize("text", COMPLIANT)
def test_compliant_line_raises_none_of_these(rules: RuleSet, text: str) -> None:
    assert not cats(rules, text) & LEXICAL


def test_customer_saying_it_is_not_the_agent(rules: RuleSet) -> None:
    utts = [{"speaker": "customer", "text": "你们再打我就告诉你们领导，让你们公司都知道",
             "start": 0.0, "end": 1.0}]
    flags, _ = audit_utterances(utts, rules)
    assert not {f["category"] for f in flags} & LEXICAL


def test_pronoun_glued_by_jieba_still_finds_the_family_word(rules: RuleSet) -> None:
    # jieba cuts 给你爱|人: the family word 爱人 must still be found, and the act announced by
    # the agent (我这就) makes it disclosure, while the same call suggested to the debtor is not
    assert "third_party_disclosure" in cats(rules, "我这就给你爱人打电话")
    assert not cats(rules, "您可以给您爱人打个电话商量一下") & LEXICAL


def test_relay_of_a_debt_after_a_denial_and_of_a_call_back_request(rules: RuleSet) -> None:
    before = [("agent", "请问是王建军先生吗？"), ("customer", "不是，我是他哥哥。")]
    assert "third_party_disclosure" in cats(rules, "那你跟他说一声，钱赶紧还上", before)
    assert not cats(rules, "好的，那麻烦您转告他给我们回个电话", before) & LEXICAL


def test_lawful_procedure_exempts_only_its_own_clause(rules: RuleSet) -> None:
    assert not cats(rules, "外访同事上门前会提前和您预约") & LEXICAL
    # the procedure in one clause does not excuse a threat in the next
    assert "threat" in cats(rules, "外访同事会提前和您预约，不还就让你在单位待不下去")


def test_liability_claim_about_a_past_payment_is_not_a_claim(rules: RuleSet) -> None:
    assert "third_party_disclosure" in cats(rules, "你是他老婆，这钱你得替他还")
    assert "third_party_disclosure" not in cats(rules, "上个月已经替他还过一次了是吧")


def test_an_everyday_word_is_not_read_as_a_homophone(rules: RuleSet) -> None:
    # 柜台 and 方案 are what was said, even with a debt anchor (还款) in the clause
    assert not cats(rules, "也可以去柜台还款") & LEXICAL
    assert not cats(rules, "我们明天就给您发还款方案") & LEXICAL


def test_after_a_denial_a_repayment_question_is_not_the_debt_told(rules: RuleSet) -> None:
    before = [("agent", "请问是王建军先生吗？"), ("customer", "不是，我是他同事。")]
    assert "third_party_disclosure" not in cats(rules, "您哪天可以还款？", before)
    assert "third_party_disclosure" in cats(rules, "他在我们这的钱到期了还没还", before)
