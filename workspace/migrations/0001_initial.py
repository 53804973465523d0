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
                    name='CannedResponse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=100, verbose_name='title')),
                        ('body', models.TextField(help_text='Placeholders: {customer_name}, {reference}, {expected_date}.', verbose_name='text')),
                        ('channel', models.CharField(blank=True, choices=[('', 'Any channel'), ('sms', 'SMS'), ('email', 'Email')], default='', max_length=8, verbose_name='suitable for')),
                        ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'canned response',
                        'verbose_name_plural': 'canned responses',
                        'db_table': 'complaints_cannedresponse',
                        'ordering': ['sort_order', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='RedLinePhrase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('phrase', models.CharField(max_length=100, unique=True, verbose_name='phrase')),
                        ('suggestion', models.CharField(blank=True, max_length=300, verbose_name='suggested wording')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'red-line phrase',
                        'verbose_name_plural': 'red-line phrases',
                        'db_table': 'complaints_redlinephrase',
                        'ordering': ['phrase'],
                    },
                ),
                migrations.CreateModel(
                    name='DepartmentTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('instructions', models.TextField(blank=True, verbose_name='instructions')),
                        ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='result due')),
                        ('status', models.CharField(choices=[('open', 'Awaiting result'), ('returned', 'Result returned')], default='open', max_length=10, verbose_name='status')),
                        ('result', models.TextField(blank=True, verbose_name='result')),
                        ('returned_at', models.DateTimeField(blank=True, null=True, verbose_name='returned at')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='dispatched at')),
                        ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='department_tasks', to='complaints.complaint', verbose_name='complaint')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='dispatched by')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='complaints.department', verbose_name='department')),
                        ('returned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='returned by')),
                    ],
                    options={
                        'verbose_name': 'department task',
                        'verbose_name_plural': 'department tasks',
                        'db_table': 'complaints_departmenttask',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['complaint', 'status'], name='depttask_complaint_status')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('complaint', 'department'), name='depttask_one_open')],
                    },
                ),
        ]),
        move_content_types("complaints", "workspace", ['cannedresponse', 'redlinephrase', 'departmenttask']),
    ]
