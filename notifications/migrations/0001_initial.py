"""The models moved here from `complaints` (issue 13), with their tables, content types and
permissions."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from kernel.migration_ops import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('complaints', '0010_settings_version'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are (db_table): only the migration state moves.
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=30, verbose_name='kind')),
                        ('message', models.CharField(max_length=500, verbose_name='message')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read at')),
                        ('complaint', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='complaints.complaint', verbose_name='complaint')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'db_table': 'complaints_notification',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['recipient', 'read_at', '-created_at'], name='notification_inbox')],
                    },
                ),
                migrations.CreateModel(
                    name='OutboundMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'Email')], max_length=8, verbose_name='channel')),
                        ('recipient', models.CharField(max_length=254, verbose_name='recipient')),
                        ('subject', models.CharField(blank=True, max_length=200, verbose_name='subject')),
                        ('body', models.TextField(verbose_name='text')),
                        ('purpose', models.CharField(max_length=30, verbose_name='purpose')),
                        ('send_after', models.DateTimeField(verbose_name='send after')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed')], default='queued', max_length=8, verbose_name='status')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('last_error', models.CharField(blank=True, max_length=500, verbose_name='last error')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                        ('dedupe_key', models.CharField(blank=True, help_text='Messages caused by timers are queued once.', max_length=100, null=True, unique=True, verbose_name='de-duplication key')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outbound_messages', to='complaints.complaint', verbose_name='complaint')),
                    ],
                    options={
                        'verbose_name': 'outbound message',
                        'verbose_name_plural': 'outbound messages',
                        'db_table': 'complaints_outboundmessage',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(condition=models.Q(('status', 'queued')), fields=['send_after'], name='outbound_due')],
                    },
                ),
        ]),
        move_content_types("complaints", "notifications", ['notification', 'outboundmessage']),
    ]
