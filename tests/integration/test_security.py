"""Kafka over SASL and ``/metrics`` over TLS with basic auth, on the real broker.

The test broker has a SASL_PLAINTEXT listener (PLAIN, one user) next to its
plaintext one; a worker and ``cxpulse publish`` are pointed at it with the
``CXPULSE_KAFKA_*`` security settings. The worker's endpoint gets a self-signed
certificate (made by ``openssl``) and a basic-auth user.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from cxpulse.metrics_text import parse
from tests.integration.conftest import SASL_PASSWORD, SASL_USER, Env, Worker
from tests.support.tools import require

pytestmark = pytest.mark.integration

METRICS_USER, METRICS_PASSWORD = "prometheus", "scrape-secret"


def _certificate(tmp: Path) -> tuple[Path, Path]:
    openssl = require("openssl", "openssl")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _get(url: str, context: ssl.SSLContext | None, auth: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_sasl_kafka_and_a_tls_metrics_endpoint_behind_basic_auth(
        cx_env: Env, sasl_broker: str, start_worker: Callable[[Env], Worker],
        tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    env = Env({**cx_env.vars,
               "CXPULSE_KAFKA_BOOTSTRAP": sasl_broker,
               "CXPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
               "CXPULSE_KAFKA_SASL_MECHANISM": "PLAIN",
               "CXPULSE_KAFKA_SASL_USERNAME": SASL_USER,
               "CXPULSE_KAFKA_SASL_PASSWORD": SASL_PASSWORD,
               "CXPULSE_METRICS_TLS_CERTFILE": str(cert),
               "CXPULSE_METRICS_TLS_KEYFILE": str(key),
               "CXPULSE_METRICS_BASIC_AUTH_USERNAME": METRICS_USER,
               "CXPULSE_METRICS_BASIC_AUTH_PASSWORD": METRICS_PASSWORD})
    events = tmp_path / "events.jsonl"
    made = env.run("simulate", "--out", str(events), "--duration", "2h", "--rate", "30",
                   "--families", "tickets,contacts", "--end", "1795340000", "--quiet")
    assert made.returncode == 0, made.stderr
    n = sum(1 for _ in events.open("rb"))

    # A wrong password: the publisher stops with one line and publishes nothing.
    refused = Env({**env.vars, "CXPULSE_KAFKA_SASL_PASSWORD": "wrong"}).run(
        "publish", str(events), timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("cxpulse: cannot authenticate")
    assert "wrong" not in refused.stderr

    published = env.run("publish", str(events))
    assert published.returncode == 0, published.stderr
    assert f"published {n} events" in published.stderr

    start_worker(env)
    url = f"https://127.0.0.1:{env.vars['CXPULSE_METRICS_PORT']}/metrics"
    trusted = ssl.create_default_context(cafile=str(cert))
    good = f"{METRICS_USER}:{METRICS_PASSWORD}"
    deadline = time.monotonic() + 180
    counted = 0.0
    while time.monotonic() < deadline:
        try:
            status, body = _get(url, trusted, good)
        except OSError:
            time.sleep(0.5)
            continue
        assert status == 200
        counted = sum(v for (name, _), v in parse(body).items() if name == "cx_events_total")
        if counted >= n:
            break
        time.sleep(0.5)
    assert counted == n, f"the SASL worker counted {counted} of {n} events"

    assert _get(url, trusted, None)[0] == 401
    assert _get(url, trusted, f"{METRICS_USER}:wrong")[0] == 401
    assert _get(url.replace("/metrics", "/"), trusted, None)[0] == 401  # the live page too
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(url, ssl.create_default_context(), good)  # not a CA the client trusts
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        _get(url.replace("https:", "http:"), None, good)  # no plaintext fallback
