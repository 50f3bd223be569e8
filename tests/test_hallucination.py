"""Guards against text Whisper invents: loops and stock phrases."""

from auditor.asr.hallucination import collapse_loops, has_loop, is_stock_phrase, strip_punctuation

STOCK = ["请不吝点赞订阅转发打赏支持明镜与点点栏目", "谢谢观看", "字幕由Amara.org社区提供"]


def test_loops_are_found_and_collapsed():
    assert has_loop("统统统统统统统统")
    assert has_loop("您的借呗借呗借呗借呗借呗已经逾期")
    assert collapse_loops("统统统统统统统统") == "统统"
    assert collapse_loops("您的借呗借呗借呗借呗借呗已经逾期") == "您的借呗借呗已经逾期"


def test_normal_speech_and_numbers_are_not_loops():
    assert not has_loop("您好，请问是张伟先生本人吗？")
    assert not has_loop("好的好的")  # a double is ordinary speech
    assert not has_loop("卡号是一一一一一八")  # numerals repeat legitimately
    assert collapse_loops("尾号8888") == "尾号8888"


def test_stock_phrases_only_when_they_are_the_whole_text():
    assert is_stock_phrase("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", STOCK)
    assert is_stock_phrase("谢谢观看！", STOCK)
    assert is_stock_phrase("字幕由Amara.org社区提供", STOCK)
    assert not is_stock_phrase("好的，谢谢您，再见", STOCK)
    assert not is_stock_phrase("", STOCK)


def test_strip_punctuation():
    assert strip_punctuation("您好， 请问？") == "您好请问"


def test_a_numeral_repeated_far_beyond_any_number_is_a_loop():
    text = "二零二六" + "六" * 30
    assert has_loop(text)
    assert collapse_loops(text) == "二零二六六"
    assert not has_loop("尾号8888，卡号6222888888")
