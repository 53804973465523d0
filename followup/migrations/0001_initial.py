"""The models moved here from `complaints` (issue 13), with their tables, content types and
permissions."""

import django.core.validators
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
                    name='CallbackTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cycle', models.PositiveSmallIntegerField(help_text="The complaint's reopen count at resolution.", verbose_name='resolution cycle')),
                        ('reason', models.CharField(choices=[('regulator', 'Regulator complaint'), ('major', 'Major complaint'), ('reopened', 'Reopened complaint'), ('sample', 'Random sample')], max_length=12, verbose_name='why called back')),
                        ('scheduled_at', models.DateTimeField(help_text="Always inside the customers' contact hours.", verbose_name='call from')),
                        ('due_at', models.DateTimeField(db_index=True, verbose_name='due')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done')], default='open', max_length=8, verbose_name='status')),
                        ('outcome', models.CharField(blank=True, choices=[('reached_satisfied', 'Reached, satisfied'), ('reached_unsatisfied', 'Reached, not satisfied'), ('unreachable', 'Unreachable')], max_length=24, verbose_name='outcome')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='callback_tasks', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                        ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='callback_tasks', to='complaints.complaint', verbose_name='complaint')),
                        ('handler', models.ForeignKey(blank=True, help_text='Who resolved the complaint; never the assignee.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='handled by')),
                    ],
                    options={
                        'verbose_name': 'callback task',
                        'verbose_name_plural': 'callback tasks',
                        'db_table': 'complaints_callbacktask',
                        'ordering': ['due_at', 'id'],
                        'permissions': [('perform_callback', 'Can call customers back after resolution')],
                    },
                ),
                migrations.CreateModel(
                    name='CallbackAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('result', models.CharField(choices=[('reached_satisfied', 'Reached, satisfied'), ('reached_unsatisfied', 'Reached, not satisfied'), ('unreachable', 'Unreachable')], max_length=24, verbose_name='result')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('attempted_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='called at')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='called by')),
                        ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempts', to='followup.callbacktask', verbose_name='callback task')),
                    ],
                    options={
                        'verbose_name': 'callback attempt',
                        'verbose_name_plural': 'callback attempts',
                        'db_table': 'complaints_callbackattempt',
                        'ordering': ['attempted_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='FollowUpTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('low_score_review', 'Review of a low satisfaction score')], max_length=24, verbose_name='kind')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done')], default='open', max_length=8, verbose_name='status')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='follow_up_tasks', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                        ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follow_up_tasks', to='complaints.complaint', verbose_name='complaint')),
                    ],
                    options={
                        'verbose_name': 'follow-up task',
                        'verbose_name_plural': 'follow-up tasks',
                        'db_table': 'complaints_followuptask',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ResultConfirmation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cycle', models.PositiveSmallIntegerField(help_text="The complaint's reopen count when it was answered.", verbose_name='resolution cycle')),
                        ('answer', models.CharField(choices=[('solved', 'Solved'), ('not_solved', 'Not solved')], max_length=12, verbose_name='answer')),
                        ('channel', models.CharField(choices=[('tracking_page', 'Tracking page'), ('sms_reply', 'SMS reply'), ('sms_link', 'SMS survey link'), ('staff', 'Recorded by staff'), ('callback', 'Callback')], max_length=16, verbose_name='channel')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='answered at')),
                        ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='result_confirmations', to='complaints.complaint', verbose_name='complaint')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                    ],
                    options={
                        'verbose_name': 'result confirmation',
                        'verbose_name_plural': 'result confirmations',
                        'db_table': 'complaints_resultconfirmation',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='SatisfactionSurvey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('stars', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='stars')),
                        ('reasons', models.JSONField(blank=True, default=list, help_text='Codes of the reasons the customer picked.', verbose_name='reasons')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('channel', models.CharField(choices=[('tracking_page', 'Tracking page'), ('sms_reply', 'SMS reply'), ('sms_link', 'SMS survey link'), ('staff', 'Recorded by staff'), ('callback', 'Callback')], max_length=16, verbose_name='channel')),
                        ('answered_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='answered at')),
                        ('complaint', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='satisfaction_survey', to='complaints.complaint', verbose_name='complaint')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                    ],
                    options={
                        'verbose_name': 'satisfaction survey',
                        'verbose_name_plural': 'satisfaction surveys',
                        'db_table': 'complaints_satisfactionsurvey',
                        'ordering': ['-answered_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='callbacktask',
                    index=models.Index(fields=['assignee', 'status', 'due_at'], name='callback_assignee_queue'),
                ),
                migrations.AddConstraint(
                    model_name='callbacktask',
                    constraint=models.UniqueConstraint(fields=('complaint', 'cycle'), name='closing_callback_once_per_cycle'),
                ),
                migrations.AddConstraint(
                    model_name='callbacktask',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('outcome', ''), ('status', 'open')), models.Q(('status', 'done'), models.Q(('outcome', ''), _negated=True)), _connector='OR'), name='closing_callback_outcome_when_done'),
                ),
                migrations.AddConstraint(
                    model_name='followuptask',
                    constraint=models.UniqueConstraint(fields=('complaint', 'kind'), name='closing_follow_up_once'),
                ),
                migrations.AddConstraint(
                    model_name='resultconfirmation',
                    constraint=models.UniqueConstraint(fields=('complaint', 'cycle'), name='closing_confirmation_once_per_cycle'),
                ),
                migrations.AddConstraint(
                    model_name='satisfactionsurvey',
                    constraint=models.CheckConstraint(condition=models.Q(('stars__gte', 1), ('stars__lte', 5)), name='closing_survey_stars_1_to_5'),
                ),
        ]),
        move_content_types("complaints", "followup", ['callbacktask', 'callbackattempt', 'followuptask', 'resultconfirmation', 'satisfactionsurvey']),
    ]
