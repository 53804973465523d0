"""The seeded rules, as supervisors find them after migrate, on realistic texts."""

import pytest

from complaints.models import Activity, ActivityKind
from intake import selectors
from intake.models import Rule

pytestmark = pytest.mark.django_db

# Every keyword of the seeded category rules, in a sentence a customer would write.
KEYWORD_TABLE = [
    ("信号", "家里手机信号太差了，打电话要跑到阳台", "network-coverage"),
    ("无服务", "搬家以后手机一直显示无服务", "network-coverage"),
    ("掉线", "打电话老是掉线，一天好几次", "network-call-drop"),
    ("掉话", "通话中频繁掉话", "network-call-drop"),
    ("网速", "手机网速慢得像蜗牛", "network-mobile-data"),
    ("上网慢", "晚上手机上网慢，视频刷不动", "network-mobile-data"),
    ("断网", "这几天天天断网", "network-broadband"),
    ("宽带+网速", "宽带网速只有签约的一半", "network-broadband"),
    ("宽带+掉线", "家里宽带晚上老掉线", "network-broadband"),
    ("宽带+上不了网", "宽带从昨天开始上不了网", "network-broadband"),
    ("宽带+连不上", "宽带WiFi连不上", "network-broadband"),
    ("光猫+红灯", "光猫一直亮红灯", "network-broadband"),
    ("扣费", "这个月莫名其妙扣费二十元", "billing-dispute"),
    ("乱收费", "你们这是乱收费", "billing-dispute"),
    ("账单", "账单比平时多了一百块", "billing-dispute"),
    ("话费", "话费怎么这么多", "billing-dispute"),
    ("多扣", "套餐多扣了三十块", "billing-dispute"),
    ("乱扣", "乱扣我的钱", "billing-dispute"),
    ("态度", "客服态度很差，直接挂电话", "service-attitude"),
    ("推诿", "各部门互相推诿，没人管", "service-attitude"),
    ("推销", "天天打电话推销流量包", "business-marketing"),
    ("骚扰电话", "你们的骚扰电话能不能别打了", "business-marketing"),
    ("垃圾短信", "每天收到好几条垃圾短信", "business-marketing"),
    ("营销电话", "一天三个营销电话", "business-marketing"),
    ("营销短信", "退订了营销短信还在发", "business-marketing"),
    ("外呼", "外呼人员说话很冲", "business-marketing"),
    ("携号转网", "我要携号转网，一直办不了", "business-portability"),
    ("携转", "携转授权码收不到", "business-portability"),
    ("转网", "申请转网被拒绝", "business-portability"),
    ("宽带", "新房的宽带一直没弄好", "service-installer"),
    ("装机", "约好的装机师傅没来", "service-installer"),
    ("上门", "说好今天上门，等了一天", "service-installer"),
    ("装维", "装维人员私自收材料费", "service-installer"),
]


def preview(text, **kwargs):
    values = {"channel": "web", "tier": "ordinary", "category": None, "recent_complaints": 1}
    values.update(kwargs)
    return selectors.classification_preview(text=text, **values)


@pytest.mark.parametrize("keyword, text, code", KEYWORD_TABLE,
                         ids=[k for k, _t, _c in KEYWORD_TABLE])
def test_each_default_keyword_sets_its_category(keyword, text, code):
    result = preview(text)
    assert result["result"]["category"].code == code
    applied = [d for d in result["decisions"] if d["field"] == "category" and d["applied"]]
    assert applied and "+".join(f"“{w}”" for w in keyword.split("+")) in applied[0]["text"]


def test_the_table_covers_every_seeded_category_keyword():
    seeded = {"+".join(words) for rule in Rule.objects.filter(set_category__isnull=False)
              for words in selectors.rule_spec(rule).keywords}
    assert seeded == {k for k, _t, _c in KEYWORD_TABLE}


def test_issue_examples_land_in_their_top_level_categories():
    for text, parent in [("信号差", "network"), ("网速慢", "network"), ("掉线", "network"),
                         ("断网", "network"), ("扣费", "billing"), ("乱收费", "billing"),
                         ("账单", "billing"), ("话费", "billing"), ("态度", "service"),
                         ("推诿", "service"), ("推销", "business"), ("骚扰电话", "business"),
                         ("垃圾短信", "business"), ("携号转网", "business"),
                         ("宽带", "service"), ("装机", "service"), ("上门", "service")]:
        assert preview(text)["result"]["category"].parent.code == parent, text


RISK_PHRASES = ["工信部", "通管局", "12300", "12315", "12345", "市长热线", "消协", "315",
                "3·15", "媒体", "记者", "曝光", "微博", "抖音", "黑猫投诉", "电视台", "律师",
                "起诉", "法院", "仲裁", "报警", "110", "上访", "投诉到底", "多次投诉",
                "一直没解决", "要求赔偿", "双倍赔偿"]


@pytest.mark.parametrize("phrase", RISK_PHRASES)
def test_escalation_risk_phrases_flag_and_grade_at_least_urgent(phrase):
    result = preview(f"宽带的事 {phrase} 你们看着办")
    assert "escalation_risk" in result["result"]["flags"]
    assert result["result"]["priority"] == "urgent"


@pytest.mark.parametrize("text", ["再不解决我就跳楼", "逼得我想自杀", "我们小区要集体投诉",
                                  "业主准备联名投诉"])
def test_self_harm_and_mass_events_grade_major(text):
    result = preview(text)
    assert result["result"]["priority"] == "major"
    assert "escalation_risk" in result["result"]["flags"]


@pytest.mark.parametrize("text", ["多媒体短信发不出去", "我的号码是13811012345，信号差",
                                  "本月扣了3150元"])
def test_look_alikes_are_not_risk(text):
    assert "escalation_risk" not in preview(text)["result"]["flags"]


def test_vip_regulator_and_repeat_each_raise_the_grade():
    assert preview("信号差")["result"]["priority"] == "ordinary"
    for kwargs, flag in [({"tier": "vip"}, "vip"), ({"channel": "regulator"}, "regulator"),
                         ({"recent_complaints": 2}, "repeat")]:
        result = preview("信号差", **kwargs)
        assert result["result"]["priority"] == "urgent", kwargs
        assert flag in result["result"]["flags"]


def test_risk_and_category_together_with_every_decision_explained(created):
    complaint = created(description="宽带晚上老掉线，一个月了，再不修我就去工信部投诉你们！")
    assert complaint.category.code == "network-broadband"
    assert complaint.priority == "urgent" and complaint.escalation_risk
    entry = Activity.objects.filter(complaint=complaint, kind=ActivityKind.FIELD_CHANGE).get()
    assert entry.actor is None and entry.actor_type == "system"
    assert entry.data["changed"]["priority"] == ["ordinary", "urgent"]
    assert "宽带故障" in entry.message and "“宽带”+“掉线”" in entry.message
    assert "越级投诉风险" in entry.message and "“工信部”" in entry.message
    assert entry.message.startswith("自动分类与分级")
