"""Thin Celery tasks: take ids, call one service. Safe to repeat: the services are idempotent
(a complaint is classified once; unchanged training data trains nothing)."""

from celery import shared_task
from django.db import OperationalError

from . import regulator_import, services
from .email_channel import mailbox_poll

RETRY = {"autoretry_for": (OperationalError, ConnectionError), "retry_backoff": True,
         "retry_jitter": True, "max_retries": 5}


@shared_task(name="intake.classify_complaint", acks_late=True, time_limit=120, **RETRY)
def classify_complaint(complaint_id: int) -> int | None:
    classification = services.complaint_classify(complaint_id=complaint_id)
    return classification.id if classification else None


@shared_task(name="intake.classify_pending", acks_late=True, time_limit=300,
             soft_time_limit=240, **RETRY)
def classify_pending() -> int:
    return services.complaints_classify_pending()


@shared_task(name="intake.classifier_retrain", acks_late=True, time_limit=3600,
             soft_time_limit=3300, **RETRY)
def classifier_retrain(force: bool = False) -> dict:
    result = services.classifier_train(force=force)
    return {"version": result.model.version if result.model else None,
            "skipped": result.skipped,
            "accuracy": result.metrics.accuracy if result.metrics else None}


@shared_task(name="intake.poll_mailbox", acks_late=True, time_limit=600, soft_time_limit=540)
def poll_mailbox() -> dict:
    from dataclasses import asdict


    return asdict(mailbox_poll())


@shared_task(name="intake.regulator_import_process", acks_late=True, time_limit=3600,
             soft_time_limit=3500, **RETRY)
def regulator_import_process(import_id: int) -> dict:
    # Safe to run again: the service continues after the rows already reported, and each row's
    # case number makes a repeat import of it a no-op.

    batch = regulator_import.regulator_import_process(import_id=import_id)
    return {"status": batch.status, "processed": batch.processed_rows,
            "created": batch.created_count}


@shared_task(name="intake.regulator_imports_resume", acks_late=True, time_limit=120, **RETRY)
def regulator_imports_resume() -> list[int]:
    return regulator_import.regulator_imports_resume()
