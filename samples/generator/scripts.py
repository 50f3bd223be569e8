# ruff: noqa: E501  (the wording lists are data)
"""Call scripts for samples/varied/: templates with slots, filled from a seeded RNG per stem.

Every call is one entry of CALLS: (stem, scenario, fixed) where `fixed` pins what a call must
cover (a date form, an amount form, a layout); everything else -- the names, the institution,
the amounts, the call's start time, which wording of each step and of each violation -- is
drawn from numpy's default_rng seeded with sha256("script:" + stem). Pure Python + numpy: no TTS
is needed to build or check a script (`python scripts.py` prints them all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys

import numpy as np
from cn import (
    DUE_FORMS,
    bank_card,
    cn_amount,
    cn_date,
    cn_int,
    digits,
    due_form,
    grouped,
    id_number,
    mobile,
)

STEPS = (
    "greeting",
    "self_identification",
    "identity_verification",
    "debt_disclosure",
    "consequence_notice",
    "repayment_plan",
    "closing",
)


def seed_of(stem: str, purpose: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{purpose}:{stem}".encode()).digest()[:8], "big")


def rng_for(stem: str, purpose: str) -> np.random.Generator:
    return np.random.default_rng(seed_of(stem, purpose))


# ---------------------------------------------------------------------------------------------
# the fixed held-out split (decided before any call was generated or measured)


def group_of(stem: str) -> str:
    """The scenario a stem belongs to: the stem without its trailing _<letter>."""
    return stem.rsplit("_", 1)[0]


def split_of(stem: str, stems: list[str]) -> str:
    """Within each scenario group, stems ordered by sha256(stem) hex digest; positions 0, 2, 4, ...
    are "heldout", positions 1, 3, ... "tuning". So every scenario with two or more calls has
    calls on both sides, and no choice was made by looking at a call."""
    g = sorted(
        (s for s in stems if group_of(s) == group_of(stem)),
        key=lambda s: hashlib.sha256(s.encode()).hexdigest(),
    )
    return "heldout" if g.index(stem) % 2 == 0 else "tuning"


# ---------------------------------------------------------------------------------------------
# slot values (all invented)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐韩冯邓曹彭"
MALE = [
    "建国",
    "志强",
    "海涛",
    "文博",
    "俊杰",
    "国栋",
    "子豪",
    "明辉",
    "立新",
    "浩然",
    "永刚",
    "家伟",
    "天宇",
    "振华",
]
FEMALE = [
    "丽华",
    "晓燕",
    "秀英",
    "佳怡",
    "雪梅",
    "慧敏",
    "婷婷",
    "春梅",
    "静怡",
    "美玲",
    "晓丽",
    "雨欣",
    "桂芳",
    "思雨",
]
BRAND_HEAD = [
    "安心",
    "易达",
    "乐享",
    "惠民",
    "优选",
    "鑫盛",
    "恒远",
    "福来",
    "众合",
    "瑞祥",
    "金穗",
    "好借",
    "星河",
    "诚信",
]
BRAND_KIND = ["贷", "花", "分期", "消费金融", "银行", "小贷"]
AGENCY = ["华信", "正联", "铭达", "启航"]


class Ctx:
    """The slots of one call."""

    def __init__(self, stem: str, need_forms: list[str]):
        self.stem = stem
        r = self.r = rng_for(stem, "script")
        self.male = bool(r.random() < 0.5)
        self.surname = self.pick(SURNAMES)
        self.given = self.pick(MALE if self.male else FEMALE)
        self.name = self.surname + self.given
        self.title = "先生" if self.male else "女士"
        self.agent_surname = self.pick(SURNAMES)
        self.kind = self.pick(BRAND_KIND)
        head = self.pick(BRAND_HEAD)
        self.brand = head + self.kind
        self.inst = {"银行": head + "银行信用卡中心"}.get(self.kind, self.brand)
        self.agency = self.pick(AGENCY) + "资产管理公司"
        self.staff = "".join(str(int(r.integers(0, 10))) for _ in range(5))
        self.tail = "".join(str(int(r.integers(0, 10))) for _ in range(4))
        if r.random() < 0.2:
            self.debt = int(r.integers(3000, 60000))
        else:
            self.debt = int(r.integers(6, 80)) * 500
        self.days = int(r.integers(5, 120))
        # the call's start: a weekday or weekend day from September to mid-December 2026,
        # redrawn until every date form this call needs fits it
        for _ in range(200):
            day = dt.date(2026, 9, 1) + dt.timedelta(days=int(r.integers(0, 100)))
            fits = all(due_form(f, day, np.random.default_rng(0)) for f in need_forms)
            if fits:
                break
        else:
            raise SystemExit(f"{stem}: no start date fits {need_forms}")
        self.start = dt.datetime.combine(
            day, dt.time(int(r.integers(9, 21)), int(r.integers(0, 60)), int(r.integers(0, 60)))
        )

    def pick(self, seq):
        return seq[int(self.r.integers(len(seq)))]

    def chance(self, p: float) -> bool:
        return bool(self.r.random() < p)

    # ----- spoken pieces
    @property
    def you(self) -> str:
        return self.name + self.title

    @property
    def mr(self) -> str:
        return self.surname + self.title

    def debt_text(self, style: str | None = None) -> str:
        return cn_amount(self.debt, style or self.pick(["formal", "formal", "plain", "kuai"]))

    def product(self, named: bool = True) -> str:
        if not named:
            return self.pick(["您的借款", "您那笔贷款", "您的账单", "您名下的欠款"])
        return {
            "贷": f"您在{self.brand}的借款",
            "花": f"您的{self.brand}账单",
            "分期": f"您在{self.brand}的分期账单",
            "消费金融": f"您在{self.brand}的消费贷款",
            "银行": f"您尾号{digits(self.tail)}的信用卡",
            "小贷": f"您在{self.brand}的借款",
        }[self.kind]

    def staff_no(self) -> str:
        return digits(self.staff)

    def hello(self) -> str:
        h = self.start.hour
        tod = "上午好" if h < 12 else ("下午好" if h < 18 else "晚上好")
        return self.pick(["您好", "您好", "您好，打扰了", "你好", tod])

    def verify_q(self) -> str:
        return self.pick(
            [
                f"请问是{self.you}本人吗？",
                f"请问您是{self.you}吗？",
                f"请问这是{self.you}的电话吗？",
                f"麻烦确认一下，您是{self.you}本人吧？",
                f"请问是{self.mr}吗？",
            ]
        )

    def yes(self, short: bool = False) -> str:
        if short:
            return self.pick(["是。", "对。", "嗯。"])
        return self.pick(
            [
                "对，是我。",
                "是我。",
                "嗯，是我，什么事？",
                "我就是，你哪位？",
                "是的。",
                "对。",
                "是。",
                "嗯，是的，你说。",
            ]
        )

    def self_id(self) -> str:
        return self.pick(
            [
                f"我是{self.inst}委托的贷后专员，工号{self.staff_no()}。",
                f"我这边是{self.inst}客服，工号{self.staff_no()}。",
                f"这里是{self.inst}，我姓{self.agent_surname}，工号{self.staff_no()}。",
                f"{self.inst}贷后部，工号{self.staff_no()}。",
            ]
        )

    def debt_stmt(self, named: bool = True) -> str:
        p, a, d = self.product(named), self.debt_text(), cn_int(self.days, False)
        return self.pick(
            [
                f"{p}欠款{a}，已经逾期{d}天了。",
                f"{p}还有{a}没还，逾期{d}天。",
                f"{p}逾期{d}天，待还{a}。",
                f"{p}欠了{a}，逾期{d}天了。",
            ]
        )

    def consequence(self) -> str:
        return self.pick(
            [
                "逾期会影响您的个人征信。",
                "继续逾期会上报征信。",
                "一直不处理，机构可能依法起诉。",
                "逾期会影响您的信用记录。",
                "拖得越久，对征信影响越大。",
            ]
        )

    def ask_plan(self) -> str:
        return self.pick(
            [
                "您看什么时候能还？",
                "您打算什么时候处理？",
                "今天能先还一部分吗？",
                "您哪天可以还款？",
            ]
        )

    def react(self, mood: str = "calm") -> str:
        if mood == "upset":
            return self.pick(
                [
                    "唉，最近太难了，工资都没发。",
                    "你们别老打电话，我很烦。",
                    "我失业了，真的没办法。",
                    "家里出了事，钱都花在医院了。",
                ]
            )
        return self.pick(
            ["嗯，我知道。", "好的。", "是，最近手头紧。", "哦，这个我知道。", "嗯，你说吧。"]
        )

    def closing(self) -> str:
        return self.pick(
            [
                "感谢您的配合，再见。",
                "那先这样，谢谢您，再见。",
                "祝您生活愉快，再见。",
                "不打扰您了，再见。",
                "好的，谢谢您，再见。",
            ]
        )

    def confirm(self) -> str:
        return self.pick(["对。", "嗯，对。", "是的。", "可以。", "没问题。", "行。"])

    # ----- dates and amounts
    def due(self, form: str | None) -> tuple[str, dt.date]:
        day = self.start.date()
        if form:
            res = due_form(form, day, self.r)
            if res is None:
                raise SystemExit(f"{self.stem}: form {form} does not fit {day}")
            return res
        forms = [f for f in DUE_FORMS if due_form(f, day, np.random.default_rng(0))]
        return due_form(self.pick(forms), day, self.r)

    def amount(self, fixed: tuple[int, str] | None = None) -> tuple[int, str]:
        if fixed:
            v, style = fixed
        else:
            choices = [
                v
                for v in (800, 1000, 1500, 2000, 2500, 3000, 3500, 5000, 6000, 8000, 12000)
                if v <= self.debt
            ]
            v = self.pick(choices or [self.debt])
            style = self.pick(["colloquial", "plain", "formal", "kuai"])
        return v, cn_amount(v, style)


def T(speaker: str, text: str, **opts) -> tuple[str, str, dict]:
    return (speaker, text, opts)


# ---------------------------------------------------------------------------------------------
# blocks


def opening(C: Ctx, greet: bool = True, verify: bool = True, short: bool = False) -> list:
    """Greeting + identity question, the reply, then self-identification + debt."""
    if greet:
        first = f"{C.hello()}，{C.verify_q()}" if verify else f"{C.hello()}。"
    else:
        first = (
            C.pick([f"喂，是{C.you}吧？", f"喂，{C.name}是吧？", f"喂，{C.mr}？"])
            if verify
            else "喂。"
        )
    turns = [T("agent", first)]
    if verify:
        turns.append(T("customer", C.yes(short)))
    else:
        turns.append(T("customer", C.pick(["喂，哪位？", "你好，哪位？", "嗯，谁啊？"])))
    return turns


def promise(C: Ctx, fx: dict, accept_by: str = "customer", full: bool = False) -> tuple[list, dict]:
    """The customer commits (or accepts the agent's proposal); the agent reads it back."""
    dtext, due = C.due(fx.get("due"))
    before = dtext.endswith("前")
    if full:
        v, atext = C.debt, None
        line = C.pick(
            [f"{dtext}我把钱全部还清。", f"我{dtext}一次性都还了。", f"{dtext}，我全都还上。"]
        )
    else:
        v, atext = C.amount(fx.get("amount"))
        forms = [
            f"{dtext}我先还{atext}。",
            f"我{dtext}能还{atext}。",
            f"那就{dtext}吧，先还{atext}。",
            f"{atext}的话，{dtext}可以还上。",
        ]
        if not before and dtext not in ("今天", "过两天"):
            forms.append(f"{dtext}之前，我还{atext}，行吗？")
        line = C.pick(forms)
    turns = []
    if accept_by == "agent":  # the agent proposes, the customer accepts
        turns.append(
            T(
                "agent",
                C.pick(
                    [
                        f"那我们约定{dtext}还{atext or '全部欠款'}，可以吗？",
                        f"要不这样，{dtext}先还{atext or '全部欠款'}，您看行吗？",
                    ]
                ),
            )
        )
        turns.append(
            T(
                "customer",
                C.pick(["嗯。", "行。", "好。", "啊，可以。"])
                if fx.get("short")
                else C.pick(["行，就这样吧。", "好，可以。", "嗯，那就这么定。"]),
            )
        )
    else:
        turns.append(T("customer", line))
        d2 = cn_date(due, C.chance(0.5)) if C.chance(0.4) else dtext.removesuffix("前")
        a2 = cn_amount(v, "formal") if C.chance(0.5) or atext is None else atext
        pre = "" if d2 in ("今天", "明天", "过两天") else C.pick(["前", "之前"])
        turns.append(
            T(
                "agent",
                C.pick(
                    [
                        f"好的，跟您确认，{d2}{pre}还{a2}，对吗？",
                        f"行，给您登记{d2}{pre}还款{a2}，对吧？",
                        f"明白，{d2}还{a2}，可以吗？",
                    ]
                ),
            )
        )
        turns.append(
            T("customer", C.pick(["嗯。", "对。", "是。"]) if fx.get("short") else C.confirm())
        )
    if atext is None:
        atext_truth = None  # "all of it": the outstanding sum stated in the call
    else:
        atext_truth = atext
    out = {
        "result": "promise_to_pay",
        "amount": v,
        "due": due.isoformat(),
        "due_text": dtext,
        "amount_text": atext_truth,
        "installments": None,
    }
    return turns, out


def installments(C: Ctx, fx: dict) -> tuple[list, dict]:
    n = int(fx.get("n", C.pick([2, 3, 3, 4, 6])))
    per, ptext = C.amount(fx.get("amount") or (C.pick([1000, 1500, 2000, 2500, 3000]), "plain"))
    C.debt = per * n
    dtext, due = C.due(fx.get("due"))
    ncn = cn_int(n, False) if n != 2 else "两"
    if C.chance(0.5):
        turns = [
            T(
                "customer",
                C.pick(
                    [
                        f"一次还不上，能不能分{ncn}期？每期{ptext}。",
                        f"我想分期，分{ncn}期，每期还{ptext}，行不行？",
                    ]
                ),
            ),
            T("agent", f"可以，那第一期{dtext}还{ptext}，之后每个月还{ptext}，一共{ncn}期，对吗？"),
            T("customer", C.confirm()),
        ]
    else:
        turns = [
            T("customer", "一下子拿不出这么多。"),
            T("agent", f"那给您分{ncn}期，每期{ptext}，第一期{dtext}还，您看可以吗？"),
            T("customer", C.pick(["可以，就这么办。", "行，分期可以。", "好，那就这样。"])),
        ]
    out = {
        "result": "promise_to_pay",
        "amount": per,
        "due": due.isoformat(),
        "due_text": dtext,
        "amount_text": ptext,
        "installments": n,
    }
    return turns, out


def no_outcome(result: str, emotion: str = "calm") -> dict:
    return {
        "result": result,
        "amount": None,
        "due": None,
        "due_text": None,
        "amount_text": None,
        "installments": None,
        "emotion": emotion,
    }


# ---------------------------------------------------------------------------------------------
# violation wordings (several per category)

ABUSE = [
    "你就是个老赖，真不要脸。",
    "欠钱不还，你还是人吗？",
    "你这种人就是废物，脸都不要了。",
    "你是不是脑子有病，借了钱装死？",
    "没皮没脸的东西，欠钱还有理了？",
]
THREAT = [
    "再不还，我们就派人去你家里找你。",
    "你要是再拖下去，后果自负。",
    "我们会去你单位找你，让你在同事面前抬不起头。",
    "不还钱的话你走着瞧，有你好受的。",
    "我们知道你住哪儿，今晚就有人上门。",
]
FALSE_LEGAL = [
    "我们已经报警了，警察很快就会上门抓你。",
    "你这属于诈骗，是要坐牢的。",
    "法院已经下了拘捕令，你等着被拘留吧。",
    "这个案子已经转到公安了，你会留下案底。",
    "我是法院执行局的，明天就冻结你所有的银行账户。",
]
THIRD_PARTY_THREAT = [
    "你再不还，我就打电话给你爸妈，让他们替你还。",
    "我们会通知你单位的领导和同事，说你欠钱不还。",
    "你通讯录里的联系人，我们会一个一个打过去告诉他们。",
    "我这就给你爱人打电话，把你欠钱的事告诉她。",
]
NEW_LOAN = [
    "你可以先去别的平台借一笔，把这个还了。",
    "用信用卡套现出来先还上嘛。",
    "找网贷再借一点，拆东墙补西墙也得先还我们。",
    "我给你推荐个平台，下款很快，借出来就能还我们。",
    "你名下不是还有信用卡吗？刷出来先还这笔。",
]
IMPATIENCE = [
    "你听不懂人话吗？",
    "我都说了多少遍了，烦不烦啊。",
    "你爱投诉就去投诉，我不怕。",
    "这个我没义务跟你解释。",
    "有本事你去告啊，跟我说有什么用。",
]
CUST_HOSTILE = [
    "你们这帮骗子，天天打电话烦不烦！",
    "滚，再打我就报警了。",
    "神经病啊，我要去幺二三七八投诉你们。",
    "你们这是骚扰，我要去网上曝光你们。",
    "少跟我来这套，你们都是吸血鬼。",
]
SHOUT_LINES = [
    "这笔钱必须尽快处理！",
    "您一定要重视这个问题！",
    "这已经拖得太久了！",
    "请您马上处理！",
]


# ---------------------------------------------------------------------------------------------
# scenarios: each returns the turns, expected flags, steps that are absent, outcome, what it tests


def sc_compliant(C: Ctx, fx: dict) -> dict:
    mood = "upset" if C.chance(0.3) else "calm"
    turns = opening(C, short=fx.get("short", False))
    style = fx.get("style", C.pick(["formal", "warm", "brisk"]))
    if style == "brisk":
        turns.append(T("agent", C.self_id() + C.debt_stmt() + C.consequence() + C.ask_plan()))
    else:
        turns.append(
            T(
                "agent",
                C.self_id() + ("本次通话会被录音。" if style == "formal" else "") + C.debt_stmt(),
            )
        )
        turns.append(T("customer", C.react(mood)))
        warm = (
            C.pick(["我理解您的难处，", "没关系，我们一起想办法，", ""]) if style == "warm" else ""
        )
        turns.append(T("agent", warm + C.consequence() + C.ask_plan()))
    if fx.get("installments"):
        pt, out = installments(C, fx)
    else:
        pt, out = promise(
            C, fx, accept_by=fx.get("accept_by", "customer"), full=fx.get("full", False)
        )
    turns += pt
    turns.append(T("agent", C.closing()))
    out["emotion"] = mood
    what = f"compliant ({style}{', instalments' if fx.get('installments') else ''})"
    return dict(turns=turns, flags=[], missing=[], outcome=out, tests=what)


def sc_short_replies(C: Ctx, fx: dict) -> dict:
    """The customer answers only with one syllable: 是 / 对 / 嗯 / 啊 / 好."""
    one = lambda: C.pick(["是。", "对。", "嗯。", "啊。", "好。"])  # noqa: E731
    turns = [
        T("agent", f"{C.hello()}，{C.verify_q()}"),
        T("customer", C.yes(short=True)),
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", one()),
        T("agent", C.consequence()),
    ]
    pt, out = promise(C, dict(fx, short=True), accept_by="agent")
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=[],
        missing=[],
        outcome=out,
        tests="compliant; customer replies only 是/对/嗯/啊/好; agent's proposal accepted with one syllable",
    )


def sc_backchannel(C: Ctx, fx: dict) -> dict:
    """Two agent turns in a row around a short customer backchannel."""
    bc = lambda: T("customer", C.pick(["嗯。", "嗯嗯。", "对。", "好。", "啊。"]), gap="bc")  # noqa: E731
    turns = opening(C)
    turns += [
        T("agent", C.self_id()),
        bc(),
        T("agent", C.debt_stmt(), gap="bc"),
        bc(),
        T("agent", C.consequence() + C.ask_plan(), gap="bc"),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=[],
        missing=[],
        outcome=out,
        tests="compliant; backchannels (嗯/对/好) between agent turns, short gaps",
    )


def _violation(
    C: Ctx, fx: dict, lines: list[str], flag: str, what: str, n: int = 1, emotion: str | None = None
) -> dict:
    mood = emotion or C.pick(["calm", "upset"])
    turns = opening(C)
    turns.append(T("agent", C.self_id() + C.debt_stmt()))
    turns.append(T("customer", C.react(mood)))
    picked = list(C.r.choice(lines, size=n, replace=False))
    cons = C.consequence()
    if C.chance(0.5):
        turns.append(T("agent", "".join(picked) + cons + C.ask_plan()))
    else:
        turns.append(T("agent", cons + "".join(picked) + C.ask_plan()))
    pt, out = promise(C, fx)
    objection = C.pick(
        ["你怎么这么说话？", "你这是什么态度？", "我不是不还。", "你别这样。", "你们怎么能这样？"]
    )
    pt[0] = T("customer", objection + pt[0][1])
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "upset"  # the customer objects to the agent's words
    return dict(
        turns=turns, flags=[flag], missing=[], outcome=out, tests=what + "：" + "／".join(picked)
    )


def sc_abuse(C, fx):
    return _violation(C, fx, ABUSE, "abuse", "agent insults", n=1 + int(C.chance(0.2)))


def sc_threat(C, fx):
    return _violation(C, fx, THREAT, "threat", "agent threatens", n=1 + int(C.chance(0.2)))


def sc_false_legal(C, fx):
    return _violation(C, fx, FALSE_LEGAL, "false_legal", "false legal claim")


def sc_new_loan(C, fx):
    return _violation(C, fx, NEW_LOAN, "new_loan", "pushes new borrowing / cash-out")


def sc_impatience(C, fx):
    return _violation(
        C, fx, IMPATIENCE, "impatience", "banned service phrase", n=1 + int(C.chance(0.2))
    )


def sc_third_party_threat(C, fx):
    return _violation(
        C,
        fx,
        THIRD_PARTY_THREAT,
        "third_party_disclosure",
        "threatens to tell family/employer/contacts",
    )


def sc_third_party_answers(C: Ctx, fx: dict) -> dict:
    """Someone else answers; the agent tells them the debt anyway."""
    who = (
        C.pick(["我是他爱人", "我是他妈妈", "我是他同事", "我是他室友"])
        if C.male
        else C.pick(["我是她老公", "我是她妈妈", "我是她同事", "我是她妹妹"])
    )
    he = "他" if C.male else "她"
    turns = [
        T("agent", f"{C.hello()}，{C.verify_q()}"),
        T("customer", C.pick([f"不是，{who}，{he}不在。", f"{he}不在，{who}，有什么事？"])),
        T(
            "agent",
            C.self_id() + f"{C.name}{C.pick(['在我们这里', '在' + C.brand])}的欠款"
            f"{C.debt_text()}，已经逾期{cn_int(C.days, False)}天了。",
        ),
        T(
            "customer",
            C.pick([f"啊？{he}从来没跟我说过。", "这么多？我不知道啊。", "那你跟我说干什么？"]),
        ),
        T(
            "agent",
            C.pick(
                [
                    f"麻烦您转告{he}，尽快把钱还上，不然会影响{he}的征信。",
                    f"您是家里人，劝劝{he}赶紧还，逾期会影响{he}的征信。",
                ]
            ),
        ),
        T("customer", C.pick(["好吧，我跟他说。", "行，我转告。", "知道了。"])),
        T("agent", C.closing()),
    ]
    return dict(
        turns=turns,
        flags=[
            "third_party_disclosure",
            "missing_identity_verification",
            "disclosure_before_verification",
        ],
        missing=["identity_verification", "repayment_plan"],
        outcome=no_outcome("wrong_party"),
        tests=f"third party answers ({who}); debt told to them",
    )


def sc_pii_leak(C: Ctx, fx: dict) -> dict:
    what = fx.get("pii") or C.pick(["id", "mobile", "card"])
    yao = C.chance(0.75)
    if what == "id":
        num = id_number(C.r)
        said = grouped(num, C.pick([[6, 4, 4, 4], [6, 8, 4], [3, 3, 4, 4, 4]]), yao)
        line = C.pick([f"您的身份证号是{said}，对吗？", f"我核对一下，身份证号码{said}，没错吧？"])
    elif what == "mobile":
        num = mobile(C.r)
        said = grouped(num, C.pick([[3, 4, 4], [3, 3, 5]]), yao)
        line = C.pick([f"您登记的手机号是{said}，对吧？", f"我们留的联系电话是{said}，还在用吗？"])
    else:
        num = bank_card(C.r)
        said = grouped(num, [4, 4, 4, 4], yao)
        line = C.pick(
            [f"您绑定的还款银行卡号是{said}，对吗？", f"扣款的卡号是{said}，您确认一下。"]
        )
    turns = opening(C) + [
        T("agent", C.self_id() + line),
        T("customer", C.pick(["对。", "是这个。", "嗯，对。"])),
        T("agent", C.debt_stmt() + C.consequence()),
        T("customer", C.react()),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["pii_leak"],
        missing=[],
        outcome=out,
        tests=f"agent reads a full {what} number in groups ({num}, {'幺' if yao else '一'} for 1)",
    )


def sc_missing_greeting(C, fx):
    turns = opening(C, greet=False) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.react()),
        T("agent", C.consequence() + C.ask_plan()),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["missing_greeting"],
        missing=["greeting"],
        outcome=out,
        tests="opens with 喂, never greets",
    )


def sc_missing_self_id(C, fx):
    turns = opening(C) + [
        T("agent", C.debt_stmt(named=False)),
        T("customer", C.pick(["你是哪里的？", "嗯。", "哦。"])),
        T(
            "agent",
            C.pick(["就是您之前借的那笔钱。", "您自己借的您应该清楚。"])
            + C.consequence()
            + C.ask_plan(),
        ),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["missing_self_identification"],
        missing=["self_identification"],
        outcome=out,
        tests="never names the institution or a staff number",
    )


def sc_missing_verification(C, fx):
    turns = [
        T("agent", f"{C.hello()}，" + C.self_id()),
        T("customer", C.pick(["嗯，什么事？", "哦，你说。"])),
        T("agent", C.debt_stmt() + C.consequence()),
        T("customer", C.react()),
        T("agent", C.ask_plan()),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["missing_identity_verification", "disclosure_before_verification"],
        missing=["identity_verification"],
        outcome=out,
        tests="never asks who is on the line; debt told anyway (it is the debtor)",
    )


def sc_missing_closing(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.react()),
        T("agent", C.consequence() + C.ask_plan()),
    ]
    pt, out = promise(C, fx)
    turns += pt[:-1] + [
        T("customer", C.confirm()),
        T("agent", C.pick(["钱一定要按时到账。", "到时候我会再查。", "记住了，别再拖了。"])),
        T("customer", C.pick(["嗯。", "知道了。"])),
    ]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["missing_closing"],
        missing=["closing"],
        outcome=out,
        tests="ends without 感谢/再见",
    )


def sc_disclosure_first(C, fx):
    turns = [
        T("agent", f"{C.hello()}，" + C.self_id() + C.debt_stmt()),
        T("customer", C.pick(["啊？", "你说什么？", "哦。"])),
        T("agent", C.verify_q()),
        T("customer", C.yes()),
        T("agent", C.consequence() + C.ask_plan()),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["disclosure_before_verification"],
        missing=[],
        outcome=out,
        tests="amount and overdue said before the identity question",
    )


def sc_wrong_party(C, fx):
    he = "他" if C.male else "她"
    reply = C.pick(
        [
            "不是，你打错了。",
            f"我不是，{he}是我{'哥' if C.male else '姐'}，{he}不在。",
            f"不是，这个号码我刚办的，不认识{he}。",
            f"{he}不在，我是{he}同事。",
        ]
    )
    turns = [
        T("agent", f"{C.hello()}，" + C.self_id() + C.verify_q()),
        T("customer", reply),
        T("agent", C.pick([f"那请问您认识{C.name}吗？", f"请问您能联系上{he}吗？"])),
        T("customer", C.pick(["认识，怎么了？", "能是能，什么事啊？", "不太熟，有什么事？"])),
        T(
            "agent",
            C.pick(["不好意思，具体情况只能跟本人说。", "抱歉，这个需要和本人沟通。"])
            + C.pick([f"方便的话麻烦让{he}回个电话，谢谢，再见。", "那我们核实一下号码，再见。"]),
        ),
        T("customer", C.pick(["好。", "嗯，再见。", "行。"])),
    ]
    return dict(
        turns=turns,
        flags=["missing_identity_verification"],
        missing=[
            "identity_verification",
            "debt_disclosure",
            "consequence_notice",
            "repayment_plan",
        ],
        outcome=no_outcome("wrong_party"),
        tests="someone else answers; agent discloses nothing",
    )


def sc_voicemail(C, fx):
    num = (
        "四零零，"
        + digits(str(int(C.r.integers(100, 999))))
        + "，"
        + digits(str(int(C.r.integers(1000, 9999))))
    )
    turns = [
        T("agent", C.pick([f"您好，这是给{C.you}的留言。", f"{C.you}您好，这是一条提醒留言。"])),
        T(
            "agent",
            C.self_id()
            + C.pick(["有重要的事情需要和您本人沟通。", "有件事情想和您确认一下。"])
            + C.pick(["这个事情比较紧急。", "请您尽快处理。", "麻烦您抽空联系我们。"]),
        ),
        T("agent", f"请您方便时回电{num}。{C.closing()}"),
    ]
    return dict(
        turns=turns,
        flags=["missing_identity_verification"],
        missing=[
            "identity_verification",
            "debt_disclosure",
            "consequence_notice",
            "repayment_plan",
        ],
        outcome=no_outcome("no_contact"),
        tests="voicemail: one voice, callback number, no debt facts",
    )


def sc_fast(C, fx):
    turns = opening(C)
    turns += [
        T("agent", C.self_id() + "本次通话会被录音。", voice="fast"),
        T("customer", "嗯。"),
        T("agent", C.debt_stmt() + C.consequence() + C.ask_plan(), voice="fast"),
    ]
    pt, out = promise(C, fx)
    pt[1] = T("agent", pt[1][1], voice="fast")
    turns += pt + [T("agent", C.closing(), voice="fast")]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["speech_rate_fast"],
        missing=[],
        outcome=out,
        tests="agent speaks fast (speed ratio about 0.6) on four turns",
    )


def sc_shouting(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.react("upset")),
        T("agent", C.pick(SHOUT_LINES), voice="shout"),
        T("agent", C.consequence() + C.ask_plan(), gap="bc"),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    if C.chance(0.6):
        i = next(
            k for k in range(len(turns) - 1, 0, -1) if turns[k][0] == "agent" and k < len(turns) - 1
        )
        turns[i] = T("agent", turns[i][1], voice="shout")
    out["emotion"] = "upset"
    return dict(
        turns=turns,
        flags=["shouting"],
        missing=[],
        outcome=out,
        tests="agent shouts (+8..11 dB, higher pitch); wording not a violation",
    )


def sc_long_silence(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.pick(["请稍等，我查一下您的账户。", "您稍等，我调一下记录。"])),
        T("agent", "让您久等了。" + C.debt_stmt() + C.consequence(), gap="long"),
    ]
    pt, out = promise(C, fx, accept_by="agent")
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "calm"
    return dict(
        turns=turns,
        flags=["long_silence"],
        missing=[],
        outcome=out,
        tests="请稍等 then 10.5-13 s dead air",
    )


def sc_interruption(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T(
            "customer",
            C.pick(
                [
                    "我跟你说，我这几个月生意一直不好，货款也收不回来，我真的不是故意不还的。",
                    "你听我解释，我上个月住院了，花了好多钱，工作也丢了，现在真的很困难。",
                ]
            ),
        ),
        T(
            "agent",
            C.pick(
                [
                    f"{C.mr}，我理解您的难处，我们可以一起商量个办法。",
                    "好的好的，我明白，您先别着急，我们看看怎么安排。",
                ]
            ),
            overlap="long",
        ),
        T("customer", "那你说怎么办？"),
        T("agent", C.consequence() + C.ask_plan()),
    ]
    pt, out = promise(C, fx)
    turns += pt + [T("agent", C.closing())]
    out["emotion"] = "upset"
    return dict(
        turns=turns,
        flags=["interruption"],
        missing=[],
        outcome=out,
        tests="agent talks over a long customer turn for 2.8-3.6 s",
        layout="stereo",
    )


def sc_customer_hostile(C, fx):
    """Hostile customer, calm agent: never an agent flag."""
    picked = list(C.r.choice(CUST_HOSTILE, size=2, replace=False))
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", picked[0], voice="angry"),
        T(
            "agent",
            C.pick(
                [
                    f"{C.mr}，请您先别激动，我们只是提醒您按时还款。",
                    "理解您的心情，我们是正规机构，只是来和您沟通还款的。",
                ]
            ),
        ),
        T("customer", picked[1], voice="angry"),
        T(
            "agent",
            C.consequence() + C.pick(["您有什么困难也可以跟我说。", "如果有困难我们可以商量。"]),
        ),
    ]
    result = fx.get("result", "refusal")
    if result == "promise_to_pay":
        pt, out = promise(C, fx)
        pt[0] = T("customer", "行了行了，" + pt[0][1], voice="angry")
        turns += pt
    else:
        turns.append(
            T(
                "customer",
                C.pick(["没钱，不还，别再打了！", "我不会还的，你们爱怎么样怎么样！"]),
                voice="angry",
            )
        )
        out = no_outcome("refusal")
    turns.append(T("agent", C.closing()))
    out["emotion"] = "hostile"
    return dict(
        turns=turns,
        flags=[],
        missing=[] if result == "promise_to_pay" else ["repayment_plan"],
        outcome=out,
        tests="hostile customer (" + "／".join(picked) + "), agent stays calm",
        layout="mono",
    )


def sc_in_kind(C, fx):
    """Hostile customer; the agent answers in kind (shouts + insult or banned phrase)."""
    bad = C.pick(ABUSE) if fx.get("flag") == "abuse" else C.pick(IMPATIENCE)
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.pick(CUST_HOSTILE), voice="angry"),
        T("agent", C.pick(["你骂谁呢？", "你什么态度？", "你再说一遍？"]) + bad, voice="shout"),
        T(
            "customer",
            C.pick(["你敢这么跟我说话？我要投诉你！", "行，你等着，我这就投诉。"]),
            voice="angry",
        ),
        T("agent", C.consequence() + "你自己想清楚。"),
        T("customer", "我不会还的。", voice="angry"),
        T("agent", C.closing()),
    ]
    return dict(
        turns=turns,
        flags=[fx["flag"], "shouting"],
        missing=["repayment_plan"],
        outcome=no_outcome("refusal", "hostile"),
        tests=f"hostile customer; agent answers in kind, shouted: {bad}",
    )


def sc_refusal(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.react("upset")),
        T("agent", C.consequence() + C.ask_plan()),
        T(
            "customer",
            C.pick(
                [
                    "这钱我不打算还了，你们看着办吧。",
                    "我没钱，也不会还，别再打了。",
                    "不还，要告就去告吧。",
                ]
            ),
        ),
        T(
            "agent",
            C.pick(
                [
                    "我们还是希望您能重视，有困难可以申请分期。",
                    "好的，您的意思我记下了，还是建议您尽快处理。",
                ]
            ),
        ),
        T("customer", "不用了。"),
        T("agent", C.closing()),
    ]
    return dict(
        turns=turns,
        flags=[],
        missing=["repayment_plan"],
        outcome=no_outcome("refusal", "upset"),
        tests="customer refuses to pay; agent lawful and polite",
    )


def sc_dispute(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T(
            "customer",
            C.pick(
                [
                    "这笔钱我上个月就还清了，是你们系统搞错了吧？",
                    "我根本没在你们那儿借过这么多钱，是不是弄错了？",
                    "金额不对，我只借了一半，利息怎么这么高？",
                ]
            ),
        ),
        T(
            "agent",
            C.pick(
                ["好的，我帮您登记核实，核实后再联系您。", "明白，我提交一个核查，有结果给您回电。"]
            ),
        ),
        T("customer", "你们查清楚再打过来。"),
        T("agent", C.closing()),
    ]
    return dict(
        turns=turns,
        flags=[],
        missing=["consequence_notice", "repayment_plan"],
        outcome=no_outcome("dispute", "upset"),
        tests="customer disputes the debt; agent logs a check",
    )


def sc_demanded(C, fx):
    """The agent demands a date; the customer does not accept it: no promise."""
    dtext, _ = C.due(fx.get("due"))
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.react("upset")),
        T(
            "agent",
            C.consequence()
            + C.pick(
                [f"您必须{dtext}把{C.debt_text()}全部还上。", f"最晚{dtext}，您要把欠款结清。"]
            ),
        ),
        T(
            "customer",
            C.pick([f"{dtext}不可能，我拿不出来这么多。", "这个我答应不了，等我有钱了再说吧。"]),
        ),
        T("agent", C.pick(["那您尽快想办法，有进展给我们回电。", "好吧，您再考虑一下。"])),
        T("customer", "嗯，再说吧。"),
        T("agent", C.closing()),
    ]
    out = no_outcome("no_promise", "upset")
    out["demanded_due_text"] = dtext
    return dict(
        turns=turns,
        flags=[],
        missing=["repayment_plan"],
        outcome=out,
        tests=f"agent demands {dtext}; customer does not accept (no promise)",
    )


def sc_no_promise(C, fx):
    turns = opening(C) + [
        T("agent", C.self_id() + C.debt_stmt()),
        T("customer", C.react()),
        T("agent", C.consequence() + C.ask_plan()),
        T("customer", C.pick(["我再想想办法吧，现在说不好。", "等我发了工资再看吧，现在定不了。"])),
        T("agent", "好的，那您尽快安排，有问题随时联系我们。"),
        T("agent", C.closing(), gap="bc"),
    ]
    return dict(
        turns=turns,
        flags=[],
        missing=["repayment_plan"],
        outcome=no_outcome("no_promise"),
        tests="customer makes no commitment; two agent turns in a row at the end",
    )


SCENARIOS = {
    "compliant": sc_compliant,
    "short_replies": sc_short_replies,
    "backchannel": sc_backchannel,
    "abuse": sc_abuse,
    "threat": sc_threat,
    "false_legal": sc_false_legal,
    "new_loan": sc_new_loan,
    "impatience": sc_impatience,
    "third_party_threat": sc_third_party_threat,
    "third_party_answers": sc_third_party_answers,
    "pii_leak": sc_pii_leak,
    "missing_greeting": sc_missing_greeting,
    "missing_self_id": sc_missing_self_id,
    "missing_verification": sc_missing_verification,
    "missing_closing": sc_missing_closing,
    "disclosure_first": sc_disclosure_first,
    "wrong_party": sc_wrong_party,
    "voicemail": sc_voicemail,
    "fast": sc_fast,
    "shouting": sc_shouting,
    "long_silence": sc_long_silence,
    "interruption": sc_interruption,
    "customer_hostile": sc_customer_hostile,
    "in_kind": sc_in_kind,
    "refusal": sc_refusal,
    "dispute": sc_dispute,
    "demanded": sc_demanded,
    "no_promise": sc_no_promise,
}

# (stem, scenario, fixed): `fixed` pins coverage (date / amount forms, instalments, ...)
CALLS = [
    ("compliant_a", "compliant", {"style": "formal", "due": "今天", "amount": (2000, "plain")}),
    ("compliant_b", "compliant", {"style": "warm", "due": "明天", "amount": (12000, "colloquial")}),
    ("compliant_c", "compliant", {"style": "brisk", "due": "这周X", "amount": (3500, "plain")}),
    ("compliant_d", "compliant", {"style": "formal", "due": "下周五", "amount": (3500, "formal")}),
    ("compliant_e", "compliant", {"style": "warm", "due": "月底", "full": True}),
    ("compliant_f", "compliant", {"due": "本月三十号", "amount": (3500, "colloquial")}),
    (
        "instalments_a",
        "compliant",
        {"installments": True, "n": 3, "amount": (2000, "plain"), "due": "下个月十号"},
    ),
    ("instalments_b", "compliant", {"installments": True, "due": "过两天"}),
    ("instalments_c", "compliant", {"installments": True, "due": "十二月十五日前"}),
    ("short_replies_a", "short_replies", {"due": "明天"}),
    ("short_replies_b", "short_replies", {"due": "过两天"}),
    ("short_replies_c", "short_replies", {}),
    ("backchannel_a", "backchannel", {"due": "十二月十五日前"}),
    ("backchannel_b", "backchannel", {}),
    ("backchannel_c", "backchannel", {"layout": "mono"}),
    ("abuse_a", "abuse", {}),
    ("abuse_b", "abuse", {}),
    ("abuse_c", "abuse", {"due": "下个月十号"}),
    ("threat_a", "threat", {}),
    ("threat_b", "threat", {"due": "这周X"}),
    ("threat_c", "threat", {}),
    ("false_legal_a", "false_legal", {}),
    ("false_legal_b", "false_legal", {"due": "今天"}),
    ("false_legal_c", "false_legal", {}),
    ("third_party_a", "third_party_answers", {}),
    ("third_party_b", "third_party_answers", {}),
    ("third_party_c", "third_party_threat", {}),
    ("third_party_d", "third_party_threat", {}),
    ("pii_leak_a", "pii_leak", {"pii": "id"}),
    ("pii_leak_b", "pii_leak", {"pii": "mobile"}),
    ("pii_leak_c", "pii_leak", {"pii": "card"}),
    ("new_loan_a", "new_loan", {}),
    ("new_loan_b", "new_loan", {"due": "月底"}),
    ("new_loan_c", "new_loan", {}),
    ("impatience_a", "impatience", {}),
    ("impatience_b", "impatience", {}),
    ("impatience_c", "impatience", {"due": "本月三十号"}),
    ("missing_greeting_a", "missing_greeting", {}),
    ("missing_greeting_b", "missing_greeting", {}),
    ("missing_self_id_a", "missing_self_id", {}),
    ("missing_self_id_b", "missing_self_id", {}),
    ("missing_verification_a", "missing_verification", {}),
    ("missing_verification_b", "missing_verification", {}),
    ("missing_closing_a", "missing_closing", {}),
    ("missing_closing_b", "missing_closing", {}),
    ("disclosure_first_a", "disclosure_first", {}),
    ("disclosure_first_b", "disclosure_first", {}),
    ("wrong_party_a", "wrong_party", {}),
    ("wrong_party_b", "wrong_party", {}),
    ("wrong_party_c", "wrong_party", {}),
    ("voicemail_a", "voicemail", {}),
    ("voicemail_b", "voicemail", {}),
    ("fast_a", "fast", {}),
    ("fast_b", "fast", {}),
    ("fast_c", "fast", {"layout": "mono"}),
    ("shouting_a", "shouting", {}),
    ("shouting_b", "shouting", {"layout": "mono"}),
    ("shouting_c", "shouting", {}),
    ("long_silence_a", "long_silence", {}),
    ("long_silence_b", "long_silence", {}),
    ("interruption_a", "interruption", {}),
    ("interruption_b", "interruption", {}),
    ("hostile_calm_a", "customer_hostile", {}),
    ("hostile_calm_b", "customer_hostile", {"result": "promise_to_pay", "due": "下周五"}),
    ("hostile_calm_c", "customer_hostile", {}),
    ("in_kind_a", "in_kind", {"flag": "abuse"}),
    ("in_kind_b", "in_kind", {"flag": "impatience"}),
    ("refusal_a", "refusal", {}),
    ("refusal_b", "refusal", {}),
    ("dispute_a", "dispute", {}),
    ("dispute_b", "dispute", {}),
    ("demanded_a", "demanded", {"due": "明天"}),
    ("demanded_b", "demanded", {"due": "下周五"}),
    ("no_promise_a", "no_promise", {}),
    ("no_promise_b", "no_promise", {}),
]
STEMS = [c[0] for c in CALLS]


def build_script(stem: str, scenario: str, fx: dict) -> dict:
    need = [fx["due"]] if fx.get("due") else []
    C = Ctx(stem, need)
    s = SCENARIOS[scenario](C, fx)
    s["layout"] = fx.get("layout", s.get("layout"))
    s["scenario"] = scenario
    s["call_start"] = C.start.isoformat() + "+08:00"
    s["slots"] = {
        "debtor": C.name,
        "institution": C.inst,
        "outstanding": C.debt,
        "days_overdue": C.days,
        "staff_no": C.staff,
    }
    steps = {k: k not in s["missing"] for k in STEPS}
    s["steps"] = steps
    return s


def main() -> int:
    only = set(sys.argv[1:])
    for stem, sc, fx in CALLS:
        if only and stem not in only:
            continue
        s = build_script(stem, sc, fx)
        print(
            f"== {stem} [{split_of(stem, STEMS)}] {s['call_start']} flags={s['flags']} "
            f"outcome={s['outcome']}"
        )
        for spk, text, opts in s["turns"]:
            print(f"   {spk[0]} {text} {opts or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
