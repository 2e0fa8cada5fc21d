"""Schemathesis over the OpenAPI document, as `st run --checks all` runs it: every phase
(examples, coverage, fuzzing, stateful sequences over the document's links) and every
check (no 5xx; statuses, content types, headers and bodies as documented; schema-valid
requests accepted and schema-violating ones refused; the token required).

It drives schemathesis's engine, the runner behind `st run` (tests/support/fuzz.py),
in-process over the ASGI app on the API tests' filled database (tests/support/api.py),
as the admin, bounded (a few examples per operation, short sequences) and deterministic:
seconds, the same cases every time. The same run over a database a real night's run
filled is in tests/api/test_api_real_run.py.
"""

from __future__ import annotations

import pytest

from tests.support.api import running_api
from tests.support.fuzz import contract_failures


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api


def test_the_api_keeps_its_documented_contract(api):
    failures = contract_failures(api.client.app, api.auth("admin"))
    assert not failures, "\n\n".join(failures)
