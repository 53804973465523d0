"""Races on real PostgreSQL: two departments' results (回单) arriving at the same moment."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from workspace import services as ws
from complaints.lifecycle import Status
from complaints.models import Activity, Complaint
from workspace.models import DepartmentTask
from tests import seeds
from tests.builders import complaint_in
from tests.factories import DepartmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_last_results_return_the_complaint_to_in_progress_once(agent, supervisor):
    seeds.workspace_phrases()
    complaint = complaint_in(Status.IN_PROGRESS, actor=agent)
    departments = [DepartmentFactory(code="net-ops"), DepartmentFactory(code="billing")]
    tasks = ws.dispatch_create(complaint_id=complaint.id, actor=agent,
                               expected_version=complaint.version, departments=departments,
                               instructions="核查")
    version = Complaint.objects.get(pk=complaint.pk).version
    start = threading.Barrier(2)

    def give_result(task, actor):
        try:
            start.wait()
            ws.dispatch_return(complaint_id=complaint.id, task_id=task.id, actor=actor,
                               result=f"{task.department.code} 已处理", expected_version=version)
            return "saved"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(give_result, tasks, [agent, supervisor]))
    assert outcomes == ["saved", "saved"]
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.status == Status.IN_PROGRESS
    assert set(DepartmentTask.objects.values_list("status", flat=True)) == {"returned"}
    assert Activity.objects.filter(complaint=complaint, kind="status_change",
                                   data__action="receive_result").count() == 1
