"""jieba with the telecom user dictionary, offline, cache under VAR_DIR."""

from pathlib import Path

from django.conf import settings

from intake import classifier


def test_telecom_words_stay_whole():
    words = classifier.words("我要携号转网，光猫坏了，５Ｇ消息发不出去，副卡乱扣费，靓号低消太高")
    for word in ["携号转网", "光猫", "5g消息", "副卡", "靓号", "低消"]:
        assert word in words, (word, words)


def test_punctuation_stop_words_and_numbers_are_dropped_or_folded():
    words = classifier.words("我的宽带，这个月扣了30元！！")
    assert "，" not in words and "的" not in words and "！" not in words
    assert "<num>" in words and "30" not in words


def test_jieba_cache_is_written_under_var_dir():
    classifier.words("初始化")
    assert (Path(settings.VAR_DIR) / "jieba" / "jieba.cache").exists()
