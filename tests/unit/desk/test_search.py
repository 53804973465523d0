"""What the desk's search box makes of a query (no database)."""

import pytest

from desk import search


@pytest.mark.parametrize("query, kind, value", [
    ("TS20261125000001", "reference", "TS20261125000001"),
    ("ts2026112500", "reference", "TS2026112500"),
    ("13812345678", "phone", "13812345678"),
    ("138-1234-5678", "phone", "13812345678"),
    ("+86 138 1234 5678", "phone", "13812345678"),
    ("5678", "phone", "5678"),
    ("  ", "", ""),
])
def test_the_shape_of_the_query_decides_what_is_searched(query, kind, value):
    parsed = search.parse(query)
    assert (parsed.kind, parsed.value if kind != "" else "") == (kind, value)


def test_two_digits_are_text_not_a_phone():
    assert search.parse("12").kind == "text"


def test_chinese_is_cut_into_words_and_fillers_dropped():
    assert search.text_words("宽带 掉线") == ["宽带", "掉线"]
    words = search.text_words("手机信号差的问题")
    assert "的" not in words and "差" in words and "问题" in words
    assert search.text_words("携号转网") == ["携号转网"]  # the telecom dictionary keeps it whole
    assert search.text_words("的") == ["的"]  # only fillers: keep them
    assert search.text_words("5G消息，IPTV！") == ["5g消息", "iptv"]  # a dictionary word


def test_grams_and_tsquery():
    assert search.grams("卡") == ["卡"]
    assert search.grams("掉线") == ["掉线"]
    assert search.grams("携号转网") == ["携号", "号转", "转网"]
    assert search.grams("哈哈哈") == ["哈哈"]
    assert search.tsquery(["信号", "信号差"]) == "'信号' & '号差'"
