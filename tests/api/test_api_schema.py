"""Schemathesis against the OpenAPI document: no generated request gets a 5xx.

Runs in-process against the ASGI app with an admin token, a bounded number of examples
per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.support.api import running_api


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api


def test_no_generated_request_gets_a_server_error(api):
    headers = api.auth("admin")
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        call()
