"""The interactive API docs render in a real headless Chromium, served by gunicorn alone."""

import pytest

from tests.browser import dump_dom
from tests.processes import gunicorn_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_api_docs_page_renders_every_operation_from_our_own_static_files():
    with gunicorn_server(workers=1, threads=2) as base:
        dom = dump_dom(f"{base}/api/docs/")
    # Swagger UI only draws operations after its script (served locally) fetched our schema.
    assert 'class="swagger-ui' in dom
    assert "opblock" in dom, dom[:2000]
    assert "/api/v1/keys" in dom
    assert "/api/v1/health" in dom
    assert "cdn.jsdelivr" not in dom
