"""The red-line check and canned-response placeholders: pure functions, no database."""

import pytest

from workspace.services import canned_render, redline_check

PHRASES = [
    ("我们的网络绝对没有问题", "我们会马上安排技术人员检测您所在区域的网络。"),
    ("我不大清楚", "这个问题我马上为您核实。"),
    ("这不是什么大问题", "我理解这件事给您带来了困扰。"),
    ("SB", "请文明用语。"),
]


def test_a_clean_reply_has_no_matches():
    assert redline_check("您好，给您造成的不便非常抱歉，我们会尽快为您处理。", PHRASES) == []


def test_each_match_has_its_phrase_position_and_suggestion():
    text = "您好，我不大清楚，不过我们的网络绝对没有问题。"
    matches = redline_check(text, PHRASES)
    assert [m.phrase for m in matches] == ["我不大清楚", "我们的网络绝对没有问题"]
    first = matches[0]
    assert text[first.start:first.end] == "我不大清楚" == first.text
    assert first.suggestion == "这个问题我马上为您核实。"
    assert matches[1].start > first.end


@pytest.mark.parametrize("text", [
    "我不 大清楚",          # a space typed inside
    "我不，大清楚",          # punctuation inside
    "这不是什么…大问题",
    "这不是 什么大问题！",
])
def test_spaces_and_punctuation_inside_a_phrase_do_not_hide_it(text):
    matches = redline_check(text, PHRASES)
    assert len(matches) == 1
    assert text[matches[0].start:matches[0].end] == matches[0].text


def test_latin_letters_match_in_any_case_and_every_occurrence_counts():
    matches = redline_check("sb… Sb", PHRASES)
    assert [m.start for m in matches] == [0, 4]


def test_regex_characters_in_a_phrase_are_literal():
    assert redline_check("a+b", [("a+b", "")])[0].text == "a+b"
    assert redline_check("aab", [("a+b", "")]) == []


def test_blank_phrases_are_ignored():
    assert redline_check("任何文字", [("", "x"), ("  ", "y")]) == []


def test_canned_placeholders_are_filled():
    body = "{customer_name}您好，您的投诉{reference}预计{expected_date}前处理完毕。"
    assert canned_render(body, {"customer_name": "陈先生", "reference": "TS1",
                                "expected_date": "2026-11-30"}) == \
        "陈先生您好，您的投诉TS1预计2026-11-30前处理完毕。"


def test_canned_rendering_is_not_a_format_string():
    body = "{customer_name.__class__} {0} {reference!r} {{reference}} {unknown}"
    assert canned_render(body, {"customer_name": "陈", "reference": "TS1"}) == \
        "{customer_name.__class__} {0} {reference!r} {TS1} {unknown}"
