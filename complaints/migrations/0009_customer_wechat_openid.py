"""Customers known by their WeChat openid (intake, issue 3)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_closing")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="wechat_openid",
            field=models.CharField(blank=True, db_index=True, max_length=64,
                                   verbose_name="WeChat openid"),
        ),
    ]
