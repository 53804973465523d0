"""Default classification and grading rules for a telecom operator (issue 4).

Grading rules come first: self-harm or mass-event phrases grade 重大 major; escalation-risk
phrases (regulators, media, lawyers…, after shared/domain-research.md §1), regulator transfers,
VIP customers and repeat complainants (2+ complaints in 30 days) grade at least 紧急 urgent.
Then keyword → category rules, most specific first, since the first rule that sets a category
decides it. Supervisors edit all of them in the staff UI (/rules/).
"""

from django.db import migrations

# (name, keywords, exclude, conditions, actions). Keywords: “,” separates alternatives,
# “+” joins words that must all appear.
GRADING_RULES = [
    ("人身安全/群体事件",
     "跳楼,自杀,轻生,不想活,活不下去,同归于尽,集体投诉,群体投诉,集体维权,联名投诉,拉横幅",
     "", {}, {"set_priority": "major", "add_flags": ["escalation_risk"]},
     "自伤或群体事件倾向：重大，立即处理"),
    ("越级投诉风险",
     ("工信部,通管局,管局,12300,12315,12345,市长热线,消协,消费者协会,315,3·15,"
      "媒体,记者,曝光,微博,抖音,黑猫投诉,电视台,报社,律师,起诉,法院,仲裁,报警,110,上访,"
      "投诉到底,多次投诉,一直没解决,要求赔偿,双倍赔偿"),
     "多媒体", {}, {"set_priority": "urgent", "add_flags": ["escalation_risk"]},
     "客户提到监管、媒体、法律途径或反复投诉：有越级投诉风险"),
    ("监管转办", "", "", {"channels": ["regulator"]},
     {"set_priority": "urgent", "add_flags": ["regulator"]}, "工信部/通管局/12300 转办的申诉"),
    ("VIP客户", "", "", {"customer_tiers": ["vip"]},
     {"set_priority": "urgent", "add_flags": ["vip"]}, ""),
    ("重复投诉", "", "", {"min_recent_complaints": 2, "recent_days": 30},
     {"set_priority": "urgent", "add_flags": ["repeat"]}, "30天内第2次及以上投诉（含本次）"),
]

CATEGORY_RULES = [
    ("携号转网", "携号转网,携转,转网", "business-portability"),
    ("营销骚扰", "推销,骚扰电话,垃圾短信,营销电话,营销短信,外呼", "business-marketing"),
    ("宽带故障", "断网,宽带+网速,宽带+掉线,宽带+上不了网,宽带+连不上,光猫+红灯",
     "network-broadband"),
    ("信号覆盖", "信号,无服务", "network-coverage"),
    ("掉线/掉话", "掉线,掉话", "network-call-drop"),
    ("网速慢", "网速,上网慢", "network-mobile-data"),
    ("账务争议", "扣费,乱收费,账单,话费,多扣,乱扣", "billing-dispute"),
    ("服务态度", "态度,推诿", "service-attitude"),
    ("宽带装机/上门", "宽带,装机,上门,装维", "service-installer"),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("intake", "Rule")
    Category = apps.get_model("complaints", "Category")
    if Rule.objects.exists():
        return
    position = 0
    for name, keywords, exclude, conditions, actions, note in GRADING_RULES:
        position += 10
        Rule.objects.create(name=name, note=note, position=position,
                            keywords=keywords.replace(",", "\n"), exclude_keywords=exclude,
                            **conditions, **actions)
    position = 100
    for name, keywords, code in CATEGORY_RULES:
        position += 10
        Rule.objects.create(name=name, position=position, keywords=keywords.replace(",", "\n"),
                            set_category=Category.objects.get(code=code))


def unseed(apps, schema_editor):
    Rule = apps.get_model("intake", "Rule")
    names = [r[0] for r in GRADING_RULES] + [r[0] for r in CATEGORY_RULES]
    Rule.objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial"), ("complaints", "0002_seed_categories")]
    operations = [migrations.RunPython(seed, unseed)]
