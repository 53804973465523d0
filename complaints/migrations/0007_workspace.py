"""Workspace: canned responses, red-line phrases, dispatches, approvals (issue 6).

Seeds the empathy phrases and the red-line phrases (红线用语) of the training material; supervisors
edit both afterwards at /settings/canned-responses/ and /settings/red-lines/.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# (title, body, channel): the training deck's empathy phrases (同理心表达, 致歉, 承担责任).
CANNED_RESPONSES = [
    ("受理安抚", "{customer_name}您好，我理解您现在的不便，我们会尽快为您处理。您的投诉单号是"
     "{reference}，我们预计在{expected_date}前给您答复。", ""),
    ("致歉", "{customer_name}您好，给您造成的不便非常抱歉，我们的心情和您一样。关于投诉"
     "{reference}，我们正在全力处理，预计{expected_date}前给您结果。", ""),
    ("核实承诺", "{customer_name}您好，我真的很能理解，请放心，我们一定查证清楚，如果错了，"
     "我们一定纠正。您的投诉单号是{reference}。", ""),
    ("多部门处理进度", "{customer_name}您好，您的投诉{reference}需要几个部门协同处理，目前正在"
     "核查中，预计{expected_date}前完成。感谢您的耐心与理解。", ""),
    ("请补充信息", "{customer_name}您好，为尽快处理您的投诉{reference}，麻烦您提供：（请写明所需"
     "信息）。给您添麻烦了，谢谢您的配合。", ""),
    ("处理完毕", "{customer_name}您好，您的投诉{reference}已处理完毕。感谢您的理解与支持，我们将"
     "继续改进，让您满意。", ""),
]

# (phrase, suggested wording): the training deck's 处理客户投诉红线用语.
RED_LINE_PHRASES = [
    ("公司就这么规定的", "很抱歉给您带来不便，我来为您说明这项规定的原因，并看看还有什么办法能帮到您。"),
    ("这不是什么大问题", "我理解这件事给您带来了困扰，我们会认真为您处理。"),
    ("我们的网络绝对没有问题", "我们会马上安排技术人员检测您所在区域的网络，查明原因后第一时间告诉您。"),
    ("绝对不可能有这种事情发生", "感谢您告诉我们这个情况，我们会认真核实，查清楚后给您答复。"),
    ("我这里不负责这个业务", "这项业务由专门的部门办理，我来帮您转交并跟进结果。"),
    ("我不大清楚", "这个问题我马上为您核实，稍后给您准确的答复。"),
    ("宣传单上都有说明", "我再为您详细说明一下这项业务的规定。"),
]


def seed(apps, schema_editor):
    CannedResponse = apps.get_model("complaints", "CannedResponse")
    RedLinePhrase = apps.get_model("complaints", "RedLinePhrase")
    for order, (title, body, channel) in enumerate(CANNED_RESPONSES):
        CannedResponse.objects.get_or_create(
            title=title, defaults={"body": body, "channel": channel, "sort_order": order})
    for phrase, suggestion in RED_LINE_PHRASES:
        RedLinePhrase.objects.get_or_create(phrase=phrase, defaults={"suggestion": suggestion})


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0006_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CannedResponse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("title", models.CharField(max_length=100, verbose_name="title")),
                ("body", models.TextField(help_text="Placeholders: {customer_name}, {reference}, "
                                                    "{expected_date}.", verbose_name="text")),
                ("channel", models.CharField(blank=True, choices=[("", "Any channel"),
                                                                  ("sms", "SMS"),
                                                                  ("email", "Email")],
                                             default="", max_length=8,
                                             verbose_name="suitable for")),
                ("sort_order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="updated")),
                ("updated_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="updated by")),
            ],
            options={"verbose_name": "canned response", "verbose_name_plural": "canned responses",
                     "ordering": ["sort_order", "id"]},
        ),
        migrations.CreateModel(
            name="RedLinePhrase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("phrase", models.CharField(max_length=100, unique=True, verbose_name="phrase")),
                ("suggestion", models.CharField(blank=True, max_length=300,
                                                verbose_name="suggested wording")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="updated")),
                ("updated_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="updated by")),
            ],
            options={"verbose_name": "red-line phrase", "verbose_name_plural": "red-line phrases",
                     "ordering": ["phrase"]},
        ),
        migrations.CreateModel(
            name="DepartmentTask",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("instructions", models.TextField(blank=True, verbose_name="instructions")),
                ("due_at", models.DateTimeField(blank=True, null=True, verbose_name="result due")),
                ("status", models.CharField(choices=[("open", "Awaiting result"),
                                                     ("returned", "Result returned")],
                                            default="open", max_length=10,
                                            verbose_name="status")),
                ("result", models.TextField(blank=True, verbose_name="result")),
                ("returned_at", models.DateTimeField(blank=True, null=True,
                                                     verbose_name="returned at")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="dispatched at")),
                ("complaint", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="department_tasks",
                    to="complaints.complaint", verbose_name="complaint")),
                ("created_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="dispatched by")),
                ("department", models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="tasks",
                    to="complaints.department", verbose_name="department")),
                ("returned_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="returned by")),
            ],
            options={
                "verbose_name": "department task", "verbose_name_plural": "department tasks",
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["complaint", "status"],
                                         name="depttask_complaint_status")],
                "constraints": [models.UniqueConstraint(
                    condition=models.Q(("status", "open")), fields=("complaint", "department"),
                    name="depttask_one_open")],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
