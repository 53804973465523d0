"""A message is marked "sending" in a step committed before it goes to its gateway, so one cut
off in flight is never sent again blindly; "unknown" is such a message that could not be resent
safely (issue 16)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0013_view_all_departments_permission'),
        ('notifications', '0003_outbound_masked_body'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboundmessage',
            name='sending_since',
            field=models.DateTimeField(blank=True, help_text='When the last attempt handed the message to its gateway.', null=True, verbose_name='sending since'),
        ),
        migrations.AlterField(
            model_name='outboundmessage',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Not sent'), ('sending', 'Sending'), ('unknown', 'Delivery unknown: check')], default='queued', max_length=8, verbose_name='status'),
        ),
        migrations.AddIndex(
            model_name='outboundmessage',
            index=models.Index(condition=models.Q(('status', 'sending')), fields=['sending_since'], name='outbound_sending'),
        ),
    ]
