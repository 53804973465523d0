from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import services
from complaints.lifecycle import Action
from tests.factories import make_complaint

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def new_complaint(committed):
    def make(received_at, **kwargs):
        return committed(make_complaint, received_at=received_at, **kwargs)

    return make


@pytest.fixture
def act(committed):
    def run(complaint, action, **kwargs):
        complaint.refresh_from_db()
        kwargs.setdefault("reason", "测试")
        kwargs.setdefault("resolution_summary", "已处理")
        return committed(services.complaint_transition, complaint_id=complaint.id,
                         action=Action(action), expected_version=complaint.version, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _plain_grading(without_auto_classification):
    """These tests set priority and category themselves; intake's automatic grading (tested in
    tests/integration/intake) would otherwise raise them behind the test's back."""
