"""The API answers only what its OpenAPI schema says (issue 15).

Schemathesis reads /api/schema/ and sends generated requests — valid and deliberately invalid —
to every operation under /api/v1/ with a staff token, in process (WSGI), on the test database.
Every answer must be documented (status code, content type, body), and none may be a 5xx. A new
endpoint is covered as soon as it appears in the schema, so an undocumented answer it gives fails
here. Bounded: a few examples per operation, deterministic (derandomized), no stateful phase."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.config import SchemathesisConfig

pytestmark = pytest.mark.django_db(transaction=False)

MAX_EXAMPLES = 6

# What is checked: no 5xx; every status code, content type, header and body documented. Left
# out: the two checks of how strict input parsing is (positive_data_acceptance: a schema-valid
# request may still be refused by a domain rule the schema cannot say, e.g. an action not
# allowed in the complaint's status; negative_data_rejection: DRF and django-filter ignore an
# unknown query value or coerce 0 to "0"). Neither is about what the API answers.
CONFIG = SchemathesisConfig.from_dict({
    "seed": 15,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "checks": {"positive_data_acceptance": {"enabled": False},
               "negative_data_rejection": {"enabled": False}},
})


@pytest.fixture
def _connection_kept_open():
    """As Django's test client does: the WSGI handler would close the test transaction's
    connection at the end of each request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(_connection_kept_open, administrator, settings):
    from rest_framework.authtoken.models import Token

    from tests.builders import complaint_in

    settings.DEBUG = False
    complaint_in("new")
    token = Token.objects.create(user=administrator)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)
    schema.config.update(headers={"Authorization": f"Token {token.key}"})
    return schema


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"^/api/v1/")


@schema.parametrize()
def test_every_api_answer_is_documented_and_none_is_a_server_error(case):
    case.call_and_validate()
