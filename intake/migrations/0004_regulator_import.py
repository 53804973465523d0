"""Regulator transfer batch imports with their per-row report (issue 3)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import intake.models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_inbound_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RegulatorImport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("file", models.FileField(max_length=255,
                                          upload_to=intake.models.regulator_import_path,
                                          verbose_name="file")),
                ("original_name", models.CharField(max_length=255, verbose_name="file name")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="uploaded at")),
                ("started_at", models.DateTimeField(blank=True, null=True,
                                                    verbose_name="started at")),
                ("finished_at", models.DateTimeField(blank=True, null=True,
                                                     verbose_name="finished at")),
                ("status", models.CharField(choices=[("queued", "Queued"),
                                                     ("running", "Importing"),
                                                     ("done", "Done"), ("failed", "Failed")],
                                            default="queued", max_length=16,
                                            verbose_name="status")),
                ("total_rows", models.PositiveIntegerField(blank=True, null=True,
                                                           verbose_name="rows")),
                ("processed_rows", models.PositiveIntegerField(default=0,
                                                               verbose_name="rows processed")),
                ("created_count", models.PositiveIntegerField(
                    default=0, verbose_name="complaints created")),
                ("skipped_count", models.PositiveIntegerField(default=0,
                                                              verbose_name="already imported")),
                ("refused_count", models.PositiveIntegerField(default=0,
                                                              verbose_name="rows refused")),
                ("report", models.JSONField(blank=True, default=list, verbose_name="report")),
                ("error", models.CharField(blank=True, max_length=500, verbose_name="error")),
                ("uploaded_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                  related_name="+", to=settings.AUTH_USER_MODEL,
                                                  verbose_name="uploaded by")),
            ],
            options={
                "verbose_name": "regulator import",
                "verbose_name_plural": "regulator imports",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
