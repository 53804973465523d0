"""Settings versions: a token per settings table, replaced by a trigger on every change, so
processes may keep calendars, deadline policies and rules until they change."""

from django.db import migrations, models

from kernel import settings_triggers

TABLES = ["complaints_category", "complaints_department"]


class Migration(migrations.Migration):
    dependencies = [("complaints", "0009_customer_wechat_openid")]

    operations = [
        migrations.CreateModel(
            name="SettingsVersion",
            fields=[
                ("table", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
            options={"verbose_name": "settings version",
                     "verbose_name_plural": "settings versions"},
        ),
        settings_triggers.operation(TABLES, owns_function=True),
    ]
