"""The chaos tests use the integration fixtures (real broker, isolated topics)."""

from tests.integration.conftest import broker, cx_env, start_worker  # noqa: F401
