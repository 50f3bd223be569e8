"""Development set for the abuse, new-loan and banned-service-phrase packs (issue 12, round 3).

Every line was written for this file, in our own words, after reading public sources of these
kinds this session: an undercover first-person account of a lender's collection floor (insults
about the debtor's family and vices, "no dirty word" contempt), banks' counter-service banned-
phrase lists arranged by situation (a repeated question, a busy clerk, a wrongly filled form, a
complaint), consumer-advice pages and complaint posts on collectors steering debtors to another
app or lender, court and police notices on 软暴力 collection, and profanity lexicons on GitHub.
No line comes from corpus/real_wording.jsonl. Each violation has its negative context (denials,
quotations, warnings against new credit, plain debt statements, polite hurry, customers' abuse).

Run as a script to print the recall and precision of the packs on the set:
``python -m tests.test_rules_dev_rules4b``.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.rules import RuleSet, load_rules

MINE = ("abuse", "new_loan", "impatience")

# (category, line). "C:" marks a customer line.
VIOLATING: list[tuple[str, str]] = [
    ("abuse", "你是不是吃喝嫖赌把钱全败光了？"),
    ("abuse", "就你这样的，也配跟平台借钱？"),
    ("abuse", "二逼一个，账都算不明白。"),
    ("abuse", "土鳖，几千块钱都拿不出来。"),
    ("abuse", "一个大男人靠老婆养着，吃软饭的吧。"),
    ("abuse", "这种货色我一天能碰见十个。"),
    ("abuse", "你的保证狗都不信，说一套做一套。"),
    ("abuse", "骗吃骗喝的主，借了钱就装死。"),
    ("abuse", "你这人从根上就烂透了。"),
    ("abuse", "你算哪根葱，也敢挂我电话？"),
    ("abuse", "你老婆嫁给你算是瞎了眼。"),
    ("abuse", "穷酸样，还学人家超前消费。"),
    ("abuse", "脑子被狗吃了吧，这么简单的账。"),
    ("abuse", "缩在家里不敢吭声，窝囊到家了。"),
    ("abuse", "别人都能还上，就你是个废人。"),
    ("abuse", "嘴里就没吐出过一句人话。"),
    ("abuse", "你爹妈要是知道你这副德性，得气死。"),
    ("abuse", "看你那点出息，这辈子就配给人打工。"),
    ("abuse", "借钱的时候嘴比蜜甜，还钱的时候比孙子还会躲。"),
    ("abuse", "人穷志短说的就是你。"),
    ("abuse", "你这种人活该被全世界瞧不起。"),
    ("new_loan", "下载个安心借，额度一批下来先把我们这边结了。"),
    ("new_loan", "支付宝里借呗不是还有额度吗？提出来先还了。"),
    ("new_loan", "微粒贷点一下就到账，到账了直接转过来。"),
    ("new_loan", "信用卡不是还能取现吗？取两千出来把最低还上。"),
    ("new_loan", "京东金条开通一下，钱出来了逾期就处理了。"),
    ("new_loan", "车拿去押一下，几万块马上就有。"),
    ("new_loan", "网上那些小贷随便申请一个，不就能还了吗？"),
    ("new_loan", "手机上那么多借款软件，随便找一个先把这期平了。"),
    ("new_loan", "找个担保公司贷一笔，利息高点也比逾期强。"),
    ("new_loan", "去银行再办张卡，批下来的额度够还我们的了。"),
    ("new_loan", "分期乐上买部手机转手卖了，钱不就有了。"),
    ("new_loan", "借呗提一万出来，还了我们再慢慢还借呗。"),
    ("new_loan", "跟你表哥开个口，借个三五千先把账清了。"),
    ("new_loan", "你那张信用卡刷给朋友，让他转现金给你，今天就能结清。"),
    ("new_loan", "你同学不是开公司的吗？让他先垫一下，我们这边就不追了。"),
    ("new_loan", "要不你去拍拍贷试试，五分钟就下款，拿来还这一期。"),
    ("new_loan", "你用美团借钱那个功能借点出来，先把我们这笔还上。"),
    ("new_loan", "花呗买点东西再找人回收，换成现金还款。"),
    ("impatience", "不是跟你讲过了吗，怎么又来问？"),
    ("impatience", "天天打来问同一件事，烦不烦人。"),
    ("impatience", "急啥，等着。"),
    ("impatience", "公司就这么规定的，我有什么办法。"),
    ("impatience", "找谁都一样，规定就是这样。"),
    ("impatience", "有意见你写信去。"),
    ("impatience", "照着短信上写的做就行，问啥问。"),
    ("impatience", "你以前怎么还的就怎么还，别来问我。"),
    ("impatience", "怎么搞的，账号又输错了。"),
    ("impatience", "错了就重来，这还用我教？"),
    ("impatience", "跟你说话真费劲。"),
    ("impatience", "这块不归我们，找别的部门去。"),
    ("impatience", "行了行了，别说了，就这样吧。"),
    ("impatience", "你到底想怎么样？"),
    ("impatience", "喊你半天了，没听见啊？"),
    ("impatience", "我这边还有一堆电话要打，长话短说。"),
    ("impatience", "问那么细干什么，还钱就完了。"),
    ("impatience", "这点常识都没有吗？"),
    ("impatience", "我已经解释得很清楚了，听不懂是你的问题。"),
    ("impatience", "要投诉随你，反正我不怕。"),
]

# (category the line could be mistaken for, line)
COMPLIANT: list[tuple[str, str]] = [
    ("abuse", "您别误会，我们没有骂您的意思。"),
    ("abuse", "我们不会说您是老赖，只是提醒您按时还款。"),
    ("abuse", "您刚才说我们是骗子，我理解您的顾虑。"),
    ("abuse", "您可以打官方电话核实我们的身份，防止上当受骗。"),
    ("abuse", "请问您母亲现在方便接电话吗？"),
    ("abuse", "孩子还小，我们理解您家里的难处。"),
    ("abuse", "他妈妈的手机号是不是换了？"),
    ("abuse", "C:你们这帮吸血鬼，不得好死！"),
    ("abuse", "我们公司绝不允许辱骂客户，如果有这种情况您可以投诉。"),
    ("abuse", "您一直是信用很好的老客户。"),
    ("abuse", "您不是那种故意赖账的人，我相信您。"),
    ("abuse", "您老家是种地的吧？这个季节挺忙的。"),
    ("abuse", "您的狗狗生病花了不少钱，我理解。"),
    ("abuse", "您先别急，这个账我们一起算一下。"),
    ("abuse", "网上有很多骗人的平台，您一定要注意。"),
    ("abuse", "C:你算哪根葱，凭什么管我？"),
    ("new_loan", "我们不建议您借新还旧，这样债只会越滚越多。"),
    ("new_loan", "花呗套现是违规的，您千万不要去做。"),
    ("new_loan", "您当初在我们平台借了五千，现在还剩三千没还。"),
    ("new_loan", "这笔借款是三月份放款的，一共分十二期。"),
    ("new_loan", "如果实在困难，可以申请延期还款。"),
    ("new_loan", "请通过官方APP还款，不要转到任何个人账户。"),
    ("new_loan", "有人让您下载别的借款软件来还款，那都是诈骗，别信。"),
    ("new_loan", "您信用卡账单日是每月五号，还款日是二十三号。"),
    ("new_loan", "您在借呗的那笔不归我们管，我们只负责这一笔。"),
    ("new_loan", "我们平台不会给您推荐任何贷款产品。"),
    ("new_loan", "工资发了以后先还一部分就可以。"),
    ("new_loan", "您绑定的储蓄卡余额不足，这次扣款没有成功。"),
    ("new_loan", "C:我打算找朋友借点钱先还上。"),
    ("new_loan", "借钱之前一定要看清楚利率，别被高利贷坑了。"),
    ("new_loan", "您之前用信用卡还过一期，我们这边已经入账了。"),
    ("new_loan", "您的额度已经用完了，目前不能再借款。"),
    ("impatience", "不好意思让您久等了，我马上帮您查。"),
    ("impatience", "这个问题我再给您解释一下。"),
    ("impatience", "您有意见可以拨打客服热线反馈，我们会认真处理。"),
    ("impatience", "请您稍等，我这边正在核实。"),
    ("impatience", "这是公司的规定，我理解您的感受，我帮您向上申请一下。"),
    ("impatience", "账号输错没关系，我教您重新操作。"),
    ("impatience", "您可以在APP首页找到账单，我带您一步一步看。"),
    ("impatience", "这个业务不归我们部门，我帮您转接专员。"),
    ("impatience", "您别着急，慢慢说。"),
    ("impatience", "我再重复一下还款金额，一共三千二百元。"),
    ("impatience", "C:你们烦不烦啊，天天打！"),
    ("impatience", "麻烦您快一点确认，系统五分钟后会超时。"),
    ("impatience", "您要是还有疑问随时联系我们。"),
    ("impatience", "刚才信号不好，您能再说一遍吗？"),
    ("impatience", "我说得可能太快了，我慢一点再讲一遍。"),
    ("impatience", "您是想先还本金还是先还利息？"),
]


# A second set, written after the first round of pack changes and measured before any further
# change: how far the round's constructions carry to wording they were not written against.
VIOLATING_B: list[tuple[str, str]] = [
    ("abuse", "你那点工资也就够买包烟，还借什么钱。"),
    ("abuse", "一看你就是那种借钱不还的烂人。"),
    ("abuse", "你这德性，难怪找不到正经工作。"),
    ("abuse", "你混得连条狗都不如。"),
    ("abuse", "没见过你这么赖的，脸都不要了。"),
    ("abuse", "你家祖坟是不是冒黑烟了，出了你这么个玩意儿。"),
    ("abuse", "你就是个吸血的蚂蟥，光借不还。"),
    ("abuse", "你这样的也好意思叫男人？"),
    ("abuse", "活了三十多岁，一点人样都没有。"),
    ("abuse", "你这种垃圾，活着就是给社会添堵。"),
    ("abuse", "跟你说话脏了我的嘴。"),
    ("abuse", "你可真是个极品，借了八个平台一个不还。"),
    ("new_loan", "你不是有张交行的卡吗，先刷出来顶一下这期。"),
    ("new_loan", "要不先在抖音月付上分期买点东西，卖了钱先还我们。"),
    ("new_loan", "你爸妈手里总有点养老钱吧，先挪过来把欠款结了。"),
    ("new_loan", "现在好多平台新用户都能借，你注册一个试试，下来了还我们。"),
    ("new_loan", "把你那块表拿到典当行当了，当的钱先还上。"),
    ("new_loan", "去借呗里借一点，把这个月的还了再说。"),
    ("new_loan", "你找个做贷款的朋友帮你操作一下，钱到了就能平账。"),
    ("new_loan", "信用卡能分期取现，你办一下，取出来先还我们这边。"),
    ("new_loan", "你女朋友那边能不能先借你点，把逾期先处理了？"),
    ("new_loan", "你手上那张白条开一下，买了东西回收掉就有钱了。"),
    ("new_loan", "再申请一张信用卡，额度下来先拿来还这期。"),
    ("new_loan", "微粒贷你开了没有？开了就先借出来还。"),
    ("impatience", "你问的这个跟还款没关系，别浪费时间。"),
    ("impatience", "我没义务给你解释这么多。"),
    ("impatience", "说来说去还是那几句，你能不能换点新鲜的。"),
    ("impatience", "行，你不想听就挂了吧。"),
    ("impatience", "我一天打几百个电话，没空陪你耗。"),
    ("impatience", "上面都写得清清楚楚的，你不会自己看？"),
    ("impatience", "不懂就去问懂的人，别来烦我。"),
    ("impatience", "你爱信不信。"),
    ("impatience", "那你想怎么样嘛，我又不能替你还。"),
    ("impatience", "这种问题我回答过你八百回了。"),
    ("impatience", "等会儿再说，我现在顾不上你。"),
    ("impatience", "嫌我态度不好你就换人啊。"),
]
COMPLIANT_B: list[tuple[str, str]] = [
    ("abuse", "您别这么说自己，谁都有难的时候。"),
    ("abuse", "我们不会用难听的话，请您放心。"),
    ("abuse", "C:你这种人就是垃圾，我不还了！"),
    ("abuse", "您爸爸的手术费我们理解，可以先还一部分。"),
    ("abuse", "您说那个催收员骂了您，我这边记录一下，会反馈处理。"),
    ("abuse", "这个平台的利息确实不低，您可以申请减免。"),
    ("abuse", "您是我们的老客户了，之前一直按时还款。"),
    ("abuse", "我们这边是正规机构，不是骗人的。"),
    ("abuse", "这笔钱对您来说不是小数目，我明白。"),
    ("abuse", "您的狗叫得挺厉害，要不您换个安静的地方？"),
    ("new_loan", "您可以从工资里每个月拿出一千来还。"),
    ("new_loan", "我们不接受用信用卡套现还款，请您用储蓄卡。"),
    ("new_loan", "您这笔是去年在我们这借的，分了十二期。"),
    ("new_loan", "您可以和家里人商量一下怎么安排开支。"),
    ("new_loan", "借新还旧只会让债越来越多，不建议您这么做。"),
    ("new_loan", "您要是有年终奖，到时候一次性结清也可以。"),
    ("new_loan", "如果有人打电话让您去别的平台借款还我们，请直接挂断。"),
    ("new_loan", "您的信用卡还款日快到了，记得按时还。"),
    ("new_loan", "C:我准备去借呗借点钱来还你们。"),
    ("new_loan", "目前您的账户不能再借款，需要先把逾期还上。"),
    ("impatience", "您问的这个问题很好，我详细说一下。"),
    ("impatience", "不好意思，我这边稍微有点忙，五分钟后给您回电可以吗？"),
    ("impatience", "上面写得比较细，我帮您念一下重点。"),
    ("impatience", "您不想听的话，我们换个时间再聊也可以。"),
    ("impatience", "如果对我的服务不满意，您可以要求更换专员。"),
    ("impatience", "您信不信都没关系，可以打官方热线核实。"),
    ("impatience", "我们没办法替您还，但可以帮您申请分期。"),
    ("impatience", "麻烦您稍等，我查一下您的还款记录。"),
    ("impatience", "C:我爱信不信，你管得着吗？"),
    ("impatience", "我再把步骤给您讲一遍，您跟着操作。"),
]


# A third set, written after all pack changes and measured once, never tuned on: the honest
# estimate of how the final packs carry to new wording. Its misses are recorded, not fixed.
VIOLATING_C: list[tuple[str, str]] = [
    ("abuse", "就你这智商，也难怪被人骗着借钱。"),
    ("abuse", "三十好几的人了还靠爹妈，丢不丢人。"),
    ("abuse", "你这号人就是社会的累赘。"),
    ("abuse", "一天到晚满嘴谎话，你妈没教过你做人吗？"),
    ("abuse", "像你这种赖账的，我见一个骂一个。"),
    ("abuse", "你那脑子是摆设吧？"),
    ("abuse", "没钱就别装大款，穷得叮当响还借钱。"),
    ("abuse", "你这种人渣怎么还有脸活着。"),
    ("abuse", "你真是把你们家的脸都丢尽了。"),
    ("abuse", "跟个泼妇似的，嚷什么嚷。"),
    ("new_loan", "你去分期乐借个几千，先把我们这笔填了。"),
    ("new_loan", "你朋友圈那么多人，一人借你五百就够了。"),
    ("new_loan", "支付宝里备用金有五百，先拿出来用了还我们。"),
    ("new_loan", "招行闪电贷你试一下，批了就能把这期还掉。"),
    ("new_loan", "你公司不是能预支工资吗，预支了先还我们。"),
    ("new_loan", "找你们老板借一下，下个月工资里扣就行了，先把账还了。"),
    ("new_loan", "用信用卡买点黄金再卖掉，钱就出来了，先还我们。"),
    ("new_loan", "你老婆名下不是有张卡吗，让她刷一下先帮你还上。"),
    ("new_loan", "网上随便搜个贷款，五分钟就能下款，今天就把钱还了。"),
    ("new_loan", "你把你那个车押给车贷公司，几万块就到手了，欠款一下就清了。"),
    ("impatience", "这些都是系统算的，你问我我也不知道。"),
    ("impatience", "你爱还不还，反正也不是我的钱。"),
    ("impatience", "能不能别哭了，哭有什么用。"),
    ("impatience", "你这人怎么说不通呢。"),
    ("impatience", "要么今天还，要么别跟我废话。"),
    ("impatience", "我又不是你的客服，问这些干嘛。"),
    ("impatience", "自己签的合同自己不知道看吗？"),
    ("impatience", "我都跟你解释三遍了，还要我怎么说。"),
    ("impatience", "你别打断我，听我说完。"),
    ("impatience", "嚷嚷什么，声音小点。"),
]
COMPLIANT_C: list[tuple[str, str]] = [
    ("abuse", "您别灰心，这个情况很多人都遇到过。"),
    ("abuse", "您母亲的电话我们不会打，请放心。"),
    ("abuse", "C:你们这些人渣，天天骚扰我！"),
    ("abuse", "我们没有说您是骗子，只是需要核实身份。"),
    ("abuse", "您家的猫是不是在叫？听不太清。"),
    ("abuse", "您说得对，我刚才语气不太好，跟您道歉。"),
    ("abuse", "这个账单确实不好懂，我帮您拆开算。"),
    ("abuse", "您那边是不是信号不好？"),
    ("new_loan", "我们不建议您为了还款再去借钱。"),
    ("new_loan", "您这笔借款是去年六月在分期乐上借的。"),
    ("new_loan", "您的信用卡最低还款额是三百元，还款日是十号。"),
    ("new_loan", "如果您有预支工资的渠道，那是您自己的安排，我们不做建议。"),
    ("new_loan", "您可以先还一部分，剩下的申请分期。"),
    ("new_loan", "请不要相信任何让您用信用卡套现还款的说法。"),
    ("new_loan", "C:我想找我哥借点钱还你们。"),
    ("new_loan", "您的备用金额度跟这笔欠款没有关系。"),
    ("impatience", "这些费用是系统按合同计算的，我给您逐项说明一下。"),
    ("impatience", "您先别着急，慢慢说，我在听。"),
    ("impatience", "我刚才说得快了，我再解释一遍。"),
    ("impatience", "不好意思打断您一下，我确认一个信息。"),
    ("impatience", "您问的这个问题我需要查一下，请稍等。"),
    ("impatience", "如果您对处理结果不满意，可以拨打客服热线投诉。"),
    ("impatience", "您的合同第五条写了罚息的算法，我读给您听。"),
    ("impatience", "C:你别打断我，听我说完！"),
]


def cats(rules: RuleSet, line: str) -> set[str]:
    """The lexical categories of these packs that the rules raise on one line."""
    speaker = "customer" if line.startswith("C:") else "agent"
    utts: list[dict[str, Any]] = [
        {"speaker": speaker, "text": line.removeprefix("C:"), "start": 0.0, "end": 1.0}]
    flags, _ = audit_utterances(utts, rules)
    return {f["category"] for f in flags if f["category"] in MINE}



@pytest.mark.parametrize(("category", "line"), VIOLATING)
def test_dev_violation_is_flagged(rules: RuleSet, category: str, line: str) -> None:
    assert category in cats(rules, line)


# Known false alarms, kept visible rather than dropped: the scope statement "that debt is not ours
# to handle" uses the banned refusal 不归我们管 word for word; telling the two apart needs the
# subject of the clause (another creditor's debt vs the customer's request).
# Fixed in the matcher (rules5) and now ordinary tests: the refusal 我们不接受用信用卡套现还款
# (context.toml `refusals`, unless = ["refusal"]).
KNOWN_FALSE = {"您在借呗的那笔不归我们管，我们只负责这一笔。"}
# Known misses of set B fixed in the matcher (rules5), now ordinary tests: the A-not-A question
# 能不能 between the words is no negation (你女朋友那边能不能先借你点…); "你问的这个" names the
# customer's question as a noun phrase and quotes only inside its own clause (…，别浪费时间).
KNOWN_MISSED: set[str] = set()


def _marked(pairs: list[tuple[str, str]], known: set[str]) -> list[Any]:
    return [pytest.param(c, t, marks=pytest.mark.xfail(strict=True, reason="known, see above"))
            if t in known else (c, t) for c, t in pairs]


# Set C is never tuned on: its misses and false alarms at the time it was written stay recorded
# here (strict xfail), so a later change that fixes one shows up and must be reported.
KNOWN_MISSED_C = {
    # fixed in the matcher (rules5), now ordinary tests: 把你们家的脸都丢尽了 (a 把 form of a
    # verb-object member), 你这人怎么说不通呢 (an opening 跟你 is optional), and in KNOWN_FALSE_C
    # 请不要相信…套现还款的说法 (a warning is a refusal of the act)
    # found since rules8 by the example layer (uncertain flags; this set is no example file, so
    # that is generalisation): 招行闪电贷你试一下… and 你老婆名下不是有张卡吗…
    # found since rules10 by the example layer with abuse and impatience ungated (their own
    # thresholds 0.6 and 0.8; uncertain flags, generalisation as above): 像你这种赖账的…,
    # 你那脑子是摆设吧？, 这些都是系统算的… and 我又不是你的客服…
    # found since rules13 by the example layer (uncertain, 0.55) once dev10 became an example
    # file: 你把你那个车押给车贷公司… (nearest example dev10's pawned-car line, similarity 0.26)
    "你朋友圈那么多人，一人借你五百就够了。",
}
KNOWN_FALSE_C: set[str] = set()


@pytest.mark.parametrize(("category", "line"), _marked(VIOLATING_C, KNOWN_MISSED_C))
def test_dev_c_violation_is_flagged(rules: RuleSet, category: str, line: str) -> None:
    assert category in cats(rules, line)


@pytest.mark.parametrize(("category", "line"), _marked(COMPLIANT + COMPLIANT_B + COMPLIANT_C,
                                                         KNOWN_FALSE | KNOWN_FALSE_C))
def test_dev_compliant_line_is_not_flagged(rules: RuleSet, category: str, line: str) -> None:
    assert not cats(rules, line)


@pytest.mark.parametrize(("category", "line"), _marked(VIOLATING_B, KNOWN_MISSED))
def test_dev_b_violation_is_flagged(rules: RuleSet, category: str, line: str) -> None:
    assert category in cats(rules, line)


def main() -> None:
    """Print per-category recall and the false alarms on the compliant lines of both sets."""
    rs = load_rules()
    for name, viol, comp in (("set A", VIOLATING, COMPLIANT), ("set B", VIOLATING_B, COMPLIANT_B),
                             ("set C", VIOLATING_C, COMPLIANT_C)):
        print(f"== {name}")
        report(rs, viol, comp)


def report(rs: RuleSet, violating: list[tuple[str, str]], compliant: list[tuple[str, str]]) -> None:
    """Print one set's recall per category, its false alarms and cross-category alarms."""
    for cat in MINE:
        lines = [t for c, t in violating if c == cat]
        missed = [t for t in lines if cat not in cats(rs, t)]
        ok = [t for c, t in compliant if c == cat]
        false = [(t, cats(rs, t)) for t in ok if cats(rs, t)]
        print(f"{cat:12s} recall {len(lines) - len(missed)}/{len(lines)}"
              f"  false alarms {len(false)}/{len(ok)}")
        for t in missed:
            print("   miss:", t)
        for t, c in false:
            print("   FA:  ", t, sorted(c))
    # alarms raised by lines of one category in another of these categories
    for cat, t in violating:
        other = cats(rs, t) - {cat}
        if other:
            print("   also:", t, sorted(other))


if __name__ == "__main__":
    main()
