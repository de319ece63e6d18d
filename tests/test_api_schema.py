"""Schemathesis against a running `medref serve` (a real uvicorn process on the shared test
knowledge base): requests generated from the OpenAPI schema, valid and invalid, get no
server error and only documented statuses in the documented shapes. Bounded: a fixed
number of examples per operation, no shrinking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from medref.kb import KnowledgeBase
from medref.settings import Settings
from servers import medref_env, serving

pytestmark = [pytest.mark.kb, pytest.mark.slow]

EXAMPLES = 25
"""Per operation (12 operations) and mode (valid, invalid requests): enough to reach every
branch of the parameters, few enough for `make test`."""


CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
# a request the schema allows may still name an unknown code, release or reference (400,
# 404) or pass a limit set by a setting (413): documented errors, not rejections
expected-statuses = ["2xx", "400", "404", "413"]
"""
)


@pytest.fixture(scope="module")
def api_url(kb: KnowledgeBase, kb_settings: Settings) -> Iterator[str]:
    assert kb_settings.sources is not None
    env = medref_env(kb_settings.home, kb_settings.sources)
    with serving(env) as server:
        yield server.url


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=CONFIG)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_running_api_keeps_its_schema(
    api_schema: schemathesis.BaseSchema, api_url: str, mode: GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    tested = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=api_url, timeout=120)

        try:
            call()
        except Unsatisfiable:  # no invalid request exists (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        tested += 1
    assert tested >= 10


def test_schema_names_every_error_status(api_schema: schemathesis.BaseSchema) -> None:
    raw = api_schema.raw_schema
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "404", "413", "422", "500", "503"} <= statuses, (method, path)
            error = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


def test_home_is_the_shared_test_knowledge_base(kb_settings: Settings) -> None:
    assert Path(kb_settings.home).name == ".pytest_kb"
