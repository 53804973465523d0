"""Messages keep their text as sent (for the gateway) and a masked text for staff: one-time
tracking codes and survey links' tokens masked. Existing rows and the timeline entries that
copied them are masked here, best effort (a survey link's token always, 6-digit codes in
tracking-code messages)."""

import re

from django.db import migrations, models

MASK = "******"
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
SURVEY_TOKEN = re.compile(r"(/survey/)[^/\s]+")
BATCH = 2000


def _masked(text, purpose):
    # A copy of kernel.personal_data.mask_legacy_secrets as it was: migrations keep their code.
    text = SURVEY_TOKEN.sub(lambda m: m.group(1) + MASK, text)
    return CODE.sub(MASK, text) if purpose == "tracking_code" else text


def mask_existing(apps, schema_editor):
    OutboundMessage = apps.get_model("notifications", "OutboundMessage")
    Activity = apps.get_model("complaints", "Activity")
    batch = []
    for message in OutboundMessage.objects.only("id", "body", "purpose").iterator(
            chunk_size=BATCH):
        message.masked_body = _masked(message.body, message.purpose)
        batch.append(message)
        if len(batch) >= BATCH:
            OutboundMessage.objects.bulk_update(batch, ["masked_body"])
            batch = []
    OutboundMessage.objects.bulk_update(batch, ["masked_body"])
    batch = []
    for entry in Activity.objects.filter(kind="notification").only(
            "id", "message", "data").iterator(chunk_size=BATCH):
        masked = _masked(entry.message, (entry.data or {}).get("purpose", ""))
        if masked != entry.message:
            entry.message = masked
            batch.append(entry)
        if len(batch) >= BATCH:
            Activity.objects.bulk_update(batch, ["message"])
            batch = []
    Activity.objects.bulk_update(batch, ["message"])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_outbound_automatic_and_skipped"),
        ("complaints", "0011_models_moved_to_their_apps"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="masked_body",
            field=models.TextField(blank=True, default="", verbose_name="text as staff see it"),
        ),
        migrations.RunPython(mask_existing, migrations.RunPython.noop),
    ]
