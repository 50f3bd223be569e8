"""Personal numbers: ID cards, mobiles, bank cards in digits, numerals and mixes."""

from __future__ import annotations

import pytest

from auditor.compliance.audit import audit_utterances
from auditor.compliance.pii import (
    find_pii,
    id_check_char,
    luhn_ok,
    mask_text,
    valid_id,
    valid_mobile,
)
from auditor.compliance.rules import load_rules

ID = "110105198803151267"  # valid check character
MOBILE = "13957081246"
CARD = "6222021234567890128"  # Luhn-valid 19-digit UnionPay-style number

NUMERALS = dict(zip("0123456789", "零幺两三四五六七八九", strict=True))


def spoken(digits: str) -> str:
    return "".join(NUMERALS.get(c, "叉") for c in digits)


def kinds(text: str) -> list[str]:
    return [m.kind for m in find_pii(text)]


def test_validators() -> None:
    assert id_check_char(ID[:17]) == ID[17]
    assert valid_id(ID)
    assert not valid_id(ID[:17] + "9")
    assert not valid_id("110105198813151267")  # month 13
    assert valid_id("11010519491231002X")
    assert valid_mobile(MOBILE) and not valid_mobile("12957081246")
    assert luhn_ok(CARD) and not luhn_ok(CARD[:-1] + "9")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"您的身份证号是{ID}", "id_card"),
        (f"您的手机号是{MOBILE}对吧", "mobile"),
        (f"卡号{CARD}", "bank_card"),
        ("手机号是幺三九，五七零八，幺二四六，对吗？", "mobile"),
        ("您的身份证号是幺幺零幺零五，幺九八八零三幺五，幺二六七", "id_card"),
        (f"身份证{spoken('11010519491231002X')}", "id_card"),
        ("手机一三九 5708 幺二四六", "mobile"),  # numerals and digits mixed
        ("号码是139，然后是5708，1246", "mobile"),  # split with a filler word
        ("+86 139-5708-1246", "mobile"),
        ("卡号6222 0212 3456 7890 128", "bank_card"),
        ("电话幺三九五七洞八幺二四六", "mobile"),  # 洞 for zero
    ],
)
def test_full_numbers_are_found(text: str, kind: str) -> None:
    assert kinds(text) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "您的消费贷款尾号三八六二，欠款一万二千三百四十五元。",
        "还款金额12000元，2024年3月15日前",
        "二零二六年十二月五日之前还款六千元",
        "2024-03-15",
        "工号幺零二四七",
        "尾号1234",
        "138****5678",
        "您的卡号尾号是六二二二",
        "一共欠了三万五千六百七十八元零五角",
        "12,345,678.90元",
    ],
)
def test_amounts_dates_and_masked_forms_are_not_personal_data(text: str) -> None:
    assert find_pii(text) == []


def test_invalid_check_digits_do_not_count() -> None:
    assert kinds(ID[:17] + "X") == []
    assert kinds(CARD[:-1] + "9") == []
    assert kinds("12957081246") == []


def test_two_numbers_in_one_utterance() -> None:
    text = f"身份证{spoken(ID)}，手机号是{MOBILE}"
    assert kinds(text) == ["id_card", "mobile"]


def test_mobile_is_not_found_inside_an_id() -> None:
    assert kinds(f"证件号{ID}") == ["id_card"]


def test_mask_keeps_first_three_and_last_four() -> None:
    assert mask_text(f"手机{MOBILE}") == "手机139****1246"
    masked = mask_text("手机号是幺三九，五七零八，幺二四六")
    assert masked == "手机号是幺三九，****，幺二四六"
    assert find_pii(masked) == []
    (m,) = find_pii(f"身份证{ID}")
    assert m.masked == "110***********1267"
    assert mask_text("+86 139-5708-1246") == "+86 139-****-1246"


def test_agent_reading_number_is_a_pii_leak_with_masked_evidence() -> None:
    rules = load_rules()
    text = ("您的身份证号是幺幺零幺零五，幺九八八零三幺五，幺二六七，"
            "手机号是幺三九，五七零八，幺二四六")
    flags, _ = audit_utterances(
        [{"speaker": "agent", "start": 4.3, "end": 19.0, "text": text}], rules)
    pii = [f for f in flags if f["category"] == "pii_leak"]
    assert {f["rule"] for f in pii} == {"pii.id_card", "pii.mobile"}
    for f in pii:
        assert f["severity"] == "critical"
        assert "幺九八八零三幺五" not in f["evidence"]
        assert "*" in f["matched"]
    assert next(f for f in pii if f["rule"] == "pii.mobile")["matched"] == "139****1246"


def test_customer_reading_own_number_is_not_a_leak() -> None:
    rules = load_rules()
    flags, _ = audit_utterances(
        [{"speaker": "customer", "start": 0, "end": 2, "text": f"我的手机是{MOBILE}"}], rules)
    assert [f for f in flags if f["category"] == "pii_leak"] == []


def test_a_garbled_number_after_its_anchor_word_still_counts():
    """ASR dropped a digit of the ID and doubled one of the mobile: no longer valid, still PII."""
    from auditor.compliance.pii import find_pii

    text = "您的身份证号是11-01-05、1988-03-05、12-67手机号是11-39、57-08、12-46对吗?"
    kinds = [(m.kind, m.digits) for m in find_pii(text)]
    assert kinds == [("id_card", "110105198803051267"), ("mobile", "113957081246")]


def test_anchor_words_do_not_make_amounts_service_numbers_or_tails_count():
    from auditor.compliance.pii import find_pii

    assert find_pii("手机号尾号1234，欠款12345元") == []
    assert find_pii("客服电话4008201234") == []  # a service number, not a mobile
    assert find_pii("身份证号后六位是一二三四五六") == []
    assert find_pii("账号里还差三千五百元") == []


def test_unit_heard_for_a_digit_inside_an_anchored_number() -> None:
    # 二 heard as 万 in a card number read digit by digit after 卡号: no amount reads 六万一七
    # (two bare digits after the unit), so the unit is one digit of unknown value; the number
    # counts on its anchor and length, never as validated
    text = "扣款的卡号是六万幺七，零零八五，八零二四，六零零六，您核对一下。"
    found = find_pii(text)
    assert [m.kind for m in found] == ["bank_card"] and not found[0].validated
    assert len(found[0].digits) == 16
    # the original character stays in the text; the middle digits are starred
    masked = mask_text(text)
    assert masked.startswith("扣款的卡号是六万幺") and "六零零六" in masked
    assert "八零二四" not in masked
    # well-formed amounts keep their units, anchored or not
    assert find_pii("卡号是一万二，对吗") == []
    assert find_pii("您的卡号上欠了三万五千块") == []
    assert find_pii("待还两万八千五百块，逾期六十天") == []
    # without a positive anchor a unit is never read as a digit
    assert find_pii("六万幺七，零零八五，八零二四，六零零六") == []


def test_number_read_through_misheard_characters_is_uncertain() -> None:
    rules = load_rules()

    def pii_flags(text: str) -> list[dict]:
        flags, _ = audit_utterances([{"speaker": "agent", "start": 0.0, "end": 6.0,
                                      "text": text, "confidence": 0.9}], rules)
        return [f for f in flags if f["category"] == "pii_leak"]

    heard = pii_flags("扣款的卡号是" + spoken(CARD) + "，您核对一下。")
    assert len(heard) == 1 and heard[0]["uncertain"] is False
    # 二 heard as 万: the same leak, raised, but it rests on a misheard word
    garbled = pii_flags("扣款的卡号是六万幺七，零零八五，八零二四，六零零六，您核对一下。")
    assert len(garbled) == 1 and garbled[0]["uncertain"] is True
    assert garbled[0]["uncertain_reasons"] == ["misheard_digits"]


def test_a_digit_misheard_at_a_numbers_edge_counts_when_the_number_validates() -> None:
    # 幺 heard as 要 at both edges of a mobile read out, no anchor heard (联系电话 as 连续计划)
    text = "我们留的连续计划是要八七,幺三二,幺五,幺零,要,还在用吗?"
    assert valid_mobile("18713215101")
    got = find_pii(text)
    assert [(m.kind, m.digits) for m in got] == [("mobile", "18713215101")]
    # an ID after a heard 号码, its leading 幺幺 heard as 要要
    got = find_pii("宣泽正号码要要零,幺零五,幺九七六,零三零六,二三四五,没错吧")
    assert valid_id("110105197603062345")
    assert [(m.kind, m.digits) for m in got] == [("id_card", "110105197603062345")]
    # the same characters where the number does not validate, or after a negative anchor, or
    # beside an amount: nothing
    for other in ("我要1500", "要八七幺三二幺五幺零", "工号要八七幺三二幺五幺零要",
                  "要八七,幺三二,幺五,幺零,要块"):
        assert find_pii(other) == [], other


def test_a_number_found_through_misheard_edge_digits_is_raised_uncertain() -> None:
    turns = [{"speaker": "agent", "start": 0.0, "end": 9.0,
              "text": "我们留的连续计划是要八七,幺三二,幺五,幺零,要,还在用吗?"}]
    flags, _ = audit_utterances(turns, load_rules())
    pii = [f for f in flags if f["category"] == "pii_leak"]
    assert len(pii) == 1 and pii[0]["uncertain"] is True
