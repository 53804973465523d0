"""Rule evaluation as a pure function: normalisation, keyword syntax, conditions, order."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.rules import (
    ComplaintFacts,
    RuleSpec,
    evaluate,
    find_keywords,
    normalize,
    parse_keywords,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def facts(text="", **kwargs) -> ComplaintFacts:
    values = {"channel": "phone", "customer_tier": "ordinary", "received_at": NOW,
              "recent_complaints": (NOW,),
              "category_parents": {"network-coverage": "network",
                                   "network-broadband": "network",
                                   "billing-dispute": "billing"}}
    values.update(kwargs)
    return ComplaintFacts(text=text, **values)


def rule(name, keywords="", **kwargs) -> RuleSpec:
    return RuleSpec(id=hash(name) % 1000, name=name, keywords=parse_keywords(keywords), **kwargs)


@pytest.mark.parametrize("raw, normal", [
    ("ＶＩＰ　客户", "vip客户"),           # full-width letters and ideographic space
    ("打 1 2 3 0 0 投诉", "打12300投诉"),   # spaces inside numbers
    ("５Ｇ消息", "5g消息"),
    ("工\u200b信部", "工信部"),             # zero-width space pasted from a chat app
    ("３·１５晚会", "3·15晚会"),
])
def test_text_is_normalised_before_matching(raw, normal):
    assert normalize(raw) == normal


def test_keyword_syntax_alternatives_and_all_of_groups():
    assert parse_keywords("信号，宽带+掉线\n断网、 网速 ; ＶＩＰ") == (
        ("信号",), ("宽带", "掉线"), ("断网",), ("网速",), ("vip",))
    assert parse_keywords("信号\n信号\n\n + ") == (("信号",),)


def test_all_words_of_a_group_must_appear():
    keywords = parse_keywords("宽带+掉线")
    assert find_keywords(keywords, normalize("宽带晚上老掉线")) == ("宽带", "掉线")
    assert find_keywords(keywords, normalize("手机老掉线")) is None


@pytest.mark.parametrize("text, fires", [
    ("我要打110报警", True),
    ("我的号码是13811012345", False),       # 110 inside a phone number
    ("我要向315投诉", True),
    ("这个月扣了3150元", False),             # an amount, not 3·15
    ("已经打了12300申诉", True),
    ("工单号A12300B", False),
])
def test_number_keywords_do_not_match_inside_longer_numbers(text, fires):
    keywords = parse_keywords("110,315,12300")
    assert (find_keywords(keywords, normalize(text)) is not None) is fires


def test_a_rule_fires_only_when_all_its_conditions_hold():
    vip_network = rule("VIP网络", "信号", customer_tiers=frozenset({"vip"}),
                       set_priority="major")
    assert evaluate([vip_network], facts("信号差", customer_tier="vip")).priority == "major"
    assert evaluate([vip_network], facts("信号差")).fired == ()
    assert evaluate([vip_network], facts("扣费", customer_tier="vip")).fired == ()


def test_the_reasons_say_which_condition_matched():
    fired = evaluate([rule("监管", "工信部", channels=frozenset({"regulator"}),
                           set_priority="urgent")],
                     facts("已向工信部申诉", channel="regulator")).fired[0]
    assert [(r.kind, r.values) for r in fired.reasons] == [
        ("keyword", ("工信部",)), ("channel", ("regulator",))]


def test_exclusions_stop_a_rule():
    media = rule("媒体", "媒体", exclude_keywords=parse_keywords("多媒体"),
                 add_flags=("escalation_risk",))
    assert evaluate([media], facts("我要找媒体曝光")).flags == {"escalation_risk"}
    assert evaluate([media], facts("多媒体短信收不到")).flags == frozenset()


def test_a_rule_without_conditions_never_fires():
    assert evaluate([rule("空规则", set_priority="major")], facts("任何内容")).fired == ()


def test_first_rule_that_sets_a_category_decides_later_ones_are_reported_not_applied():
    billing = rule("账务", "扣费", set_category="billing-dispute")
    broadband = rule("宽带", "宽带", set_category="network-broadband")
    result = evaluate([billing, broadband], facts("宽带乱扣费"))
    assert result.category == "billing-dispute" and result.category_rule == billing
    assert [(d.rule_name, d.applied) for d in result.decisions] == [("账务", True),
                                                                     ("宽带", False)]
    assert evaluate([broadband, billing], facts("宽带乱扣费")).category == "network-broadband"


def test_a_category_already_set_is_kept():
    result = evaluate([rule("账务", "扣费", set_category="billing-dispute")],
                      facts("乱扣费", category="network-coverage"))
    assert result.category == "network-coverage"
    assert result.decisions[0].applied is False
    assert result.decisions[0].previous == "network-coverage"


def test_priority_only_goes_up():
    rules = [rule("重大", "自杀", set_priority="major"),
             rule("紧急", "投诉", set_priority="urgent"),
             rule("一般", "投诉", set_priority="ordinary")]
    result = evaluate(rules, facts("再不处理我就自杀，我要投诉"))
    assert result.priority == "major"
    assert [d.applied for d in result.decisions] == [True, False, False]
    assert evaluate(rules[1:], facts("投诉", priority="major")).priority == "major"


def test_flags_accumulate_and_routes_first_wins():
    rules = [rule("风险", "记者", add_flags=("escalation_risk",), route_to="gd-csc"),
             rule("VIP", customer_tiers=frozenset({"vip"}), add_flags=("vip",),
                  route_to="gd-vip")]
    result = evaluate(rules, facts("我认识记者", customer_tier="vip"))
    assert result.flags == {"escalation_risk", "vip"}
    assert result.department == "gd-csc"


def test_stop_processing_ends_the_run():
    rules = [rule("先", "信号", set_category="network-coverage", stop_processing=True),
             rule("后", "信号", set_priority="urgent")]
    result = evaluate(rules, facts("信号差"))
    assert [f.rule.name for f in result.fired] == ["先"] and result.priority == "ordinary"


def test_category_conditions_see_earlier_decisions_and_parents_include_children():
    rules = [rule("网络", "信号", set_category="network-coverage"),
             rule("网络类VIP", categories=frozenset({"network"}),
                  customer_tiers=frozenset({"vip"}), set_priority="urgent")]
    assert evaluate(rules, facts("没信号", customer_tier="vip")).priority == "urgent"
    assert evaluate(rules, facts("扣费", customer_tier="vip")).priority == "ordinary"
    assert evaluate(rules[1:], facts("", category="network-broadband",
                                     customer_tier="vip")).priority == "urgent"


@pytest.mark.parametrize("ages_in_days, fires", [
    ([0], False),                # only this complaint
    ([0, 29], True),             # the second within 30 days
    ([0, 30], True),             # exactly 30 days ago still counts
    ([0, 31], False),
    ([0, 31, 45], False),
])
def test_repeat_complaints_counted_over_the_window(ages_in_days, fires):
    repeat = rule("重复投诉", min_recent_complaints=2, recent_days=30, add_flags=("repeat",))
    received = tuple(NOW - timedelta(days=d) for d in ages_in_days)
    result = evaluate([repeat], facts("又来投诉", recent_complaints=received))
    assert ("repeat" in result.flags) is fires
    if fires:
        reason = result.fired[0].reasons[0]
        assert (reason.kind, reason.count, reason.days, reason.threshold) == ("repeat", 2, 30, 2)
