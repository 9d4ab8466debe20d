"""The CXPULSE_* security settings: checked at start-up, secrets never printed."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from cxpulse.config import ConfigError, load_settings


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_plaintext_by_default() -> None:
    settings = load_settings({})
    assert settings.kafka_security.aiokafka_kwargs() == {"security_protocol": "PLAINTEXT"}
    assert settings.kafka_security.faust_credentials() is None
    assert settings.metrics_security.ssl_context() is None
    assert settings.metrics_security.authorized(None)


def test_sasl_settings_reach_the_clients_and_the_password_is_never_shown() -> None:
    settings = load_settings({"CXPULSE_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
                              "CXPULSE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                              "CXPULSE_KAFKA_SASL_USERNAME": "svc",
                              "CXPULSE_KAFKA_SASL_PASSWORD": "hunter2"})
    kwargs = settings.kafka_security.aiokafka_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("svc", "hunter2")
    assert kwargs["ssl_context"] is not None
    credentials = settings.kafka_security.faust_credentials()
    assert credentials.username == "svc" and credentials.mechanism.value == "SCRAM-SHA-512"
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(("env", "named"), [
    ({"CXPULSE_KAFKA_SECURITY_PROTOCOL": "TLS"}, "CXPULSE_KAFKA_SECURITY_PROTOCOL"),
    ({"CXPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "CXPULSE_KAFKA_SECURITY_PROTOCOL"),
    ({"CXPULSE_KAFKA_SASL_MECHANISM": "GSSAPI"}, "CXPULSE_KAFKA_SASL_MECHANISM"),
    ({"CXPULSE_KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "CXPULSE_KAFKA_SSL_CAFILE"),
    ({"CXPULSE_METRICS_TLS_KEYFILE": __file__}, "CXPULSE_METRICS_TLS_KEYFILE"),
    ({"CXPULSE_METRICS_BASIC_AUTH_USERNAME": "p"}, "CXPULSE_METRICS_BASIC_AUTH_USERNAME"),
])
def test_a_wrong_security_setting_stops_start_up_in_one_line(
        env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_basic_auth_accepts_only_the_configured_user(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    auth = load_settings({"CXPULSE_METRICS_BASIC_AUTH_USERNAME": "prom",
                          "CXPULSE_METRICS_BASIC_AUTH_PASSWORD_FILE": str(secret)}
                         ).metrics_security
    assert auth.authorized(_basic("prom:s3cret"))
    for header in (None, _basic("prom:s3cret\n"), _basic("prom:wrong"), _basic("other:s3cret"),
                   "Basic !!!", "Bearer prom:s3cret"):
        assert not auth.authorized(header), header
    assert "s3cret" not in repr(auth)
