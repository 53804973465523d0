"""Models that moved to kernel, notifications, workspace and followup leave this app's state;
their tables stay (the new apps' 0001 migrations took them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0010_settings_version'),
        ('kernel', '0001_initial'),
        ('notifications', '0001_initial'),
        ('workspace', '0001_initial'),
        ('followup', '0001_initial'),
    ]

    operations = [
        # The tables stay as they are (db_table): only the migration state moves.
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.RemoveField(
                    model_name='callbackattempt',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='callbackattempt',
                    name='task',
                ),
                migrations.RemoveField(
                    model_name='callbacktask',
                    name='assignee',
                ),
                migrations.RemoveField(
                    model_name='callbacktask',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='callbacktask',
                    name='handler',
                ),
                migrations.RemoveField(
                    model_name='cannedresponse',
                    name='updated_by',
                ),
                migrations.RemoveField(
                    model_name='departmenttask',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='departmenttask',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='departmenttask',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='departmenttask',
                    name='returned_by',
                ),
                migrations.RemoveField(
                    model_name='followuptask',
                    name='assignee',
                ),
                migrations.RemoveField(
                    model_name='followuptask',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='outboundmessage',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='redlinephrase',
                    name='updated_by',
                ),
                migrations.RemoveField(
                    model_name='resultconfirmation',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='resultconfirmation',
                    name='recorded_by',
                ),
                migrations.RemoveField(
                    model_name='satisfactionsurvey',
                    name='complaint',
                ),
                migrations.RemoveField(
                    model_name='satisfactionsurvey',
                    name='recorded_by',
                ),
                migrations.DeleteModel(
                    name='SettingsVersion',
                ),
                migrations.DeleteModel(
                    name='CallbackAttempt',
                ),
                migrations.DeleteModel(
                    name='CallbackTask',
                ),
                migrations.DeleteModel(
                    name='CannedResponse',
                ),
                migrations.DeleteModel(
                    name='DepartmentTask',
                ),
                migrations.DeleteModel(
                    name='FollowUpTask',
                ),
                migrations.DeleteModel(
                    name='Notification',
                ),
                migrations.DeleteModel(
                    name='OutboundMessage',
                ),
                migrations.DeleteModel(
                    name='RedLinePhrase',
                ),
                migrations.DeleteModel(
                    name='ResultConfirmation',
                ),
                migrations.DeleteModel(
                    name='SatisfactionSurvey',
                ),
        ]),
    ]
