"""The coaching flag: the agent stayed calm, or answered an upset customer in kind."""

from auditor.outcome import extract_outcome, handling_flags
from tests.outcome_cases import OPENING, START, call

KEYS = ["category", "rule", "severity", "speaker", "start", "end", "evidence", "matched"]


def flags(*lines):
    utts = call(*OPENING, *lines)
    return handling_flags(utts, extract_outcome(utts, START))


def test_hostile_customer_calm_agent():
    f = flags(("customer", "骗子！你们这帮骗子！"),
              ("agent", "请您别着急，我理解您的心情，我们可以商量一个方案。"),
              ("customer", "那月底还吧。"),
              ("agent", "好的，十一月三十日之前还八千八百元，对吗？"))
    assert len(f) == 1
    assert list(f[0])[:8] == KEYS
    assert f[0]["rule"] == "outcome.handling.calm"
    assert f[0]["category"] == "info_agent_handling" and f[0]["severity"] == "info"
    assert f[0]["speaker"] == "agent"
    assert f[0]["matched"] in ("理解", "别着急", "我们可以商量")
    assert f[0]["evidence"].startswith("请您别着急")


def test_hostile_customer_agent_in_kind():
    f = flags(("customer", "你们就是骗子，滚！"),
              ("agent", "你才是骗子，你个老赖，欠钱不还还有理了？"))
    assert [x["rule"] for x in f] == ["outcome.handling.in_kind"]
    assert f[0]["matched"] in ("骗子", "老赖")
    assert f[0]["evidence"].startswith("你才是骗子")


def test_upset_customer_banned_phrase():
    f = flags(("customer", "怎么这么多？凭什么？"), ("agent", "你听不懂吗？我说了多少遍了。"))
    assert f[0]["rule"] == "outcome.handling.in_kind"


def test_agent_louder_than_own_median():
    quiet = {"loudness_dbfs": -28.0}
    utts = call(("agent", "您好，请问是李娜女士本人吗？", quiet), ("customer", "是我。"),
                ("agent", "您的分期贷款欠款八千八百元，逾期二十天了。", quiet),
                ("agent", "逾期会影响您的个人征信。", quiet),
                ("customer", "烦死了，天天打！"),
                ("agent", "那你倒是还钱啊！", {"loudness_dbfs": -16.0}))
    f = handling_flags(utts, extract_outcome(utts, START))
    assert f[0]["rule"] == "outcome.handling.in_kind"
    assert "dB" in f[0]["matched"]


def test_agent_faster_than_own_median():
    utts = call(("agent", "您好，请问是李娜女士本人吗？"), ("customer", "是我。"),
                ("agent", "您的分期贷款欠款八千八百元，逾期二十天了。"),
                ("agent", "逾期会影响您的个人征信。"),
                ("customer", "烦死了，天天打！"))
    t = utts[-1]["end"] + 0.5
    utts.append({"speaker": "agent", "start": t, "end": t + 2.0,
                 "text": "那你自己说到底什么时候能把这笔钱还上呢现在就给我一个准确的日子"})
    f = handling_flags(utts, extract_outcome(utts, START))
    assert f[0]["rule"] == "outcome.handling.in_kind"
    assert "cpm" in f[0]["matched"]


def test_calm_customer_no_flag():
    assert flags(("customer", "好的，明天还两千。"), ("agent", "好的，再见。")) == []


def test_no_agent_reply_no_flag():
    assert flags(("customer", "烦死了！")) == []
