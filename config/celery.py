import os

from celery import Celery

from config.health import record_worker_heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("complaints_system")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="system.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Run by beat on the worker; /healthz reads the time it last ran."""
    return record_worker_heartbeat()
