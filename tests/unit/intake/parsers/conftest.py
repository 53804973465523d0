"""Captured input for the parser tests lives in tests/fixtures/intake/ (emails as .eml,
webhook payloads and their headers as .json, regulator batches as .csv)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.utils import translation

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "intake"


@pytest.fixture
def now():
    return datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


@pytest.fixture
def english():
    """Messages asserted in English, whatever the site language and its translations."""
    with translation.override("en"):
        yield


@pytest.fixture
def fixture_bytes():
    def read(kind: str, name: str) -> bytes:
        return (FIXTURES / kind / name).read_bytes()
    return read


@pytest.fixture
def eml(fixture_bytes):
    return lambda name: fixture_bytes("email", name)


@pytest.fixture
def payload(fixture_bytes):
    return lambda name: json.loads(fixture_bytes("webhooks", name))
