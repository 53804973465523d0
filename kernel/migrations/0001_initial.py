"""The models moved here from `complaints` (issue 13), with their tables, content types and
permissions."""

from django.db import migrations, models

from kernel.migration_ops import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('complaints', '0010_settings_version'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The table stays as it is (db_table): only the migration state moves.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='SettingsVersion',
                fields=[
                    ('table', models.CharField(max_length=63, primary_key=True, serialize=False)),
                    ('token', models.CharField(max_length=32)),
                ],
                options={
                    'verbose_name': 'settings version',
                    'verbose_name_plural': 'settings versions',
                    'db_table': 'complaints_settingsversion',
                },
            ),
        ]),
        move_content_types("complaints", "kernel", ['settingsversion']),
    ]
