from collections.abc import Iterator

import pytest
from checkout.app import app
from fastapi.testclient import TestClient


@pytest.fixture
def client() -> Iterator[TestClient]:
    # The lifespan runs checkout.observability.init_sentry: the real production init.
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
