import os

from celery import Celery
from celery.signals import after_task_publish

from config.health import record_beat_heartbeat, record_worker_heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("complaints_system")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="system.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Run by beat on the worker; /healthz reads the time it last ran."""
    return record_worker_heartbeat()


@after_task_publish.connect
def _beat_sent_the_heartbeat(sender=None, **kwargs):
    """Beat is alive when it keeps sending the heartbeat (only beat sends it): /healthz "beat"."""
    if sender == "system.heartbeat":
        record_beat_heartbeat()
