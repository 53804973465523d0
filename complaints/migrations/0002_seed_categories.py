"""The default telecom complaint taxonomy (two levels), after MIIT's appeal classes and operator
practice (see docs in shared/domain-research.md §5). ★ marks the strictest-handling scenarios."""

from django.db import migrations

TREE = [
    ("network", "网络质量", "Network quality", [
        ("network-coverage", "信号覆盖弱/无信号", "Weak or no signal"),
        ("network-call-drop", "通话质量/掉话", "Call quality / dropped calls"),
        ("network-mobile-data", "移动上网慢", "Slow mobile data (4G/5G)"),
        ("network-broadband", "宽带断网/网速慢", "Broadband outage or slow speed"),
        ("network-repair-overdue", "宽带故障修复超时", "Broadband repair overdue"),
        ("network-fixed-line", "固话故障", "Fixed-line fault"),
        ("network-iptv", "IPTV/互联网电视故障", "IPTV fault"),
        ("network-base-station", "基站建设/辐射", "Base station siting / radiation"),
    ]),
    ("billing", "计费/收费争议", "Billing and charges", [
        ("billing-unknown-charge", "不明扣费/增值业务扣费", "Unexplained or value-added charges"),
        ("billing-usage", "流量/通话费用异常", "Abnormal data or call charges"),
        ("billing-tariff-mismatch", "资费与宣传不符", "Tariff differs from advertising"),
        ("billing-extra", "套餐外费用", "Out-of-plan charges"),
        ("billing-refund", "退费/余额/预存款", "Refund, balance or prepayment"),
        ("billing-suspension", "欠费停机/违约金", "Suspension for arrears / penalties"),
        ("billing-roaming", "国际漫游费用", "International roaming charges"),
        ("billing-invoice", "账单/发票", "Bills and invoices"),
        ("billing-dispute", "费用争议", "Charge dispute", True),
    ]),
    ("business", "业务办理与营销", "Products, orders and marketing", [
        ("business-plan-change", "套餐变更难", "Hard to change plan", True),
        ("business-unsubscribe", "业务退订难", "Hard to unsubscribe", True),
        ("business-close-account", "销户退网难", "Hard to close account", True),
        ("business-portability", "携号转网受阻", "Number portability obstructed", True),
        ("business-premium-number", "靓号低消", "Premium-number minimum spend", True),
        ("business-unauthorised", "未经同意办理/开通业务", "Service activated without consent"),
        ("business-marketing", "营销外呼/短信骚扰", "Marketing calls or SMS"),
        ("business-contract", "合约/终端补贴争议", "Contract or handset subsidy dispute"),
        ("business-points", "积分/权益兑换", "Points and benefits"),
        ("business-real-name", "实名登记/过户", "Real-name registration / transfer"),
    ]),
    ("service", "服务", "Service", [
        ("service-attitude", "服务态度", "Staff attitude"),
        ("service-store", "营业厅服务", "Store service"),
        ("service-hotline", "热线接通/等待时长", "Hotline reachability / waiting time"),
        ("service-installer", "装维人员服务", "Installer and repair staff"),
        ("service-promise", "承诺未兑现", "Promise not kept"),
        ("service-overdue", "处理超时/推诿", "Handling overdue / passing the buck"),
        ("service-complaint-handling", "投诉处理不满意", "Unhappy with complaint handling"),
    ]),
    ("product", "终端与产品质量", "Devices and product quality", [
        ("product-device", "合约手机/光猫/机顶盒/路由器质量", "Handset, modem, set-top box or router"),
        ("product-app", "APP/网上营业厅故障", "App or online hall fault"),
        ("product-cloud", "5G消息/云业务故障", "5G messaging or cloud service fault"),
    ]),
    ("security", "信息安全", "Information security", [
        ("security-data-leak", "个人信息泄露", "Personal information leak"),
        ("security-harassment", "骚扰电话/垃圾短信", "Harassing calls / spam SMS"),
        ("security-fraud", "涉诈号码/诈骗", "Fraud numbers / scams"),
    ]),
    ("other", "其他", "Other", [
        ("other-suggestion", "建议/表扬", "Suggestion or praise"),
        ("other-enquiry", "咨询转投诉", "Enquiry turned complaint"),
        ("other-misc", "其他", "Other"),
    ]),
]


def seed(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    for order, (code, name, name_en, children) in enumerate(TREE, start=1):
        parent, _ = Category.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order * 10})
        for child_order, child in enumerate(children, start=1):
            child_code, child_name, child_en, *strict = child
            Category.objects.update_or_create(
                code=child_code,
                defaults={"name": child_name, "name_en": child_en, "parent": parent,
                          "sort_order": child_order, "is_strict_scenario": bool(strict)})


def unseed(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    codes = [code for code, *_ in TREE]
    Category.objects.filter(parent__code__in=codes).delete()
    Category.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
