"""Who changed a deadline setting, when, from what to what.

Policy and calendar edits move every future deadline, so each one is recorded in Django's admin
log (shown under "Recent actions" and in each object's history in /admin/).
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry


def audit(actor, obj, *, message: str, created: bool = False, deleted: bool = False) -> None:
    flag = DELETION if deleted else ADDITION if created else CHANGE
    LogEntry.objects.log_actions(user_id=actor.pk, queryset=[obj], action_flag=flag,
                                 change_message=message, single_object=True)
