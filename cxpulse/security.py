"""Transport security: Kafka over SSL/SASL, and TLS plus basic auth on ``/metrics``.

Settings come from ``CXPULSE_*`` variables (README, "Security"). Secrets are read
once at start-up and never logged; a wrong combination stops start-up with one line.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class SecurityError(ValueError):
    """A security setting is wrong; the message names it in one line."""


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    def __repr__(self) -> str:  # never print the password
        return f"KafkaSecurity(protocol={self.protocol!r}, sasl_mechanism={self.sasl_mechanism!r})"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The client TLS context for SSL and SASL_SSL, else None."""
        if self.protocol not in ("SSL", "SASL_SSL"):
            return None
        context = ssl.create_default_context(cafile=self.ssl_cafile)
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer, consumer or admin client."""
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        context = self.ssl_context()
        if context is not None:
            kwargs["ssl_context"] = context
        if self.protocol.startswith("SASL_"):
            kwargs.update(sasl_mechanism=self.sasl_mechanism,
                          sasl_plain_username=self.sasl_username,
                          sasl_plain_password=self.sasl_password)
        return kwargs

    def faust_credentials(self) -> Any:
        """Faust's ``broker_credentials`` (None for PLAINTEXT)."""
        import faust

        if self.protocol == "PLAINTEXT":
            return None
        context = self.ssl_context()
        if self.protocol == "SSL":
            return faust.SSLCredentials(context)
        return faust.SASLCredentials(username=self.sasl_username, password=self.sasl_password,
                                     ssl_context=context, mechanism=self.sasl_mechanism)


@dataclass(frozen=True, slots=True)
class MetricsSecurity:
    certfile: str | None = None
    keyfile: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"MetricsSecurity(tls={self.certfile is not None}, auth={self.username is not None})"

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.certfile is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def authorized(self, header: str | None) -> bool:
        """True when no auth is configured or ``header`` carries the right basic credentials."""
        if self.username is None or self.password is None:
            return True
        if header is None or not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header[6:], validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = f"{self.username}:{self.password}".encode()
        return hmac.compare_digest(given, expected)


def _readable(name: str, path: str | None) -> str | None:
    if path and not os.access(path, os.R_OK):
        raise SecurityError(f"bad setting {name}={path!r}: not a readable file")
    return path or None


def load_kafka_security(env: Mapping[str, str]) -> KafkaSecurity:
    protocol = env.get("CXPULSE_KAFKA_SECURITY_PROTOCOL", "") or "PLAINTEXT"
    if protocol.upper() not in PROTOCOLS:
        raise SecurityError(f"bad setting CXPULSE_KAFKA_SECURITY_PROTOCOL={protocol!r}: "
                            f"expected one of {', '.join(PROTOCOLS)}")
    protocol = protocol.upper()
    mechanism = (env.get("CXPULSE_KAFKA_SASL_MECHANISM", "") or "PLAIN").upper()
    if mechanism not in MECHANISMS:
        raise SecurityError(f"bad setting CXPULSE_KAFKA_SASL_MECHANISM={mechanism!r}: "
                            f"expected one of {', '.join(MECHANISMS)}")
    username = env.get("CXPULSE_KAFKA_SASL_USERNAME") or None
    password = env.get("CXPULSE_KAFKA_SASL_PASSWORD") or None
    if protocol.startswith("SASL_") and (username is None or password is None):
        raise SecurityError(f"bad setting CXPULSE_KAFKA_SECURITY_PROTOCOL={protocol}: needs "
                            "CXPULSE_KAFKA_SASL_USERNAME and CXPULSE_KAFKA_SASL_PASSWORD")
    certfile = _readable("CXPULSE_KAFKA_SSL_CERTFILE", env.get("CXPULSE_KAFKA_SSL_CERTFILE"))
    keyfile = _readable("CXPULSE_KAFKA_SSL_KEYFILE", env.get("CXPULSE_KAFKA_SSL_KEYFILE"))
    return KafkaSecurity(
        protocol=protocol, sasl_mechanism=mechanism, sasl_username=username,
        sasl_password=password,
        ssl_cafile=_readable("CXPULSE_KAFKA_SSL_CAFILE", env.get("CXPULSE_KAFKA_SSL_CAFILE")),
        ssl_certfile=certfile, ssl_keyfile=keyfile)


def load_metrics_security(env: Mapping[str, str]) -> MetricsSecurity:
    certfile = _readable("CXPULSE_METRICS_TLS_CERTFILE", env.get("CXPULSE_METRICS_TLS_CERTFILE"))
    keyfile = _readable("CXPULSE_METRICS_TLS_KEYFILE", env.get("CXPULSE_METRICS_TLS_KEYFILE"))
    if keyfile and not certfile:
        raise SecurityError("bad setting CXPULSE_METRICS_TLS_KEYFILE: needs "
                            "CXPULSE_METRICS_TLS_CERTFILE")
    username = env.get("CXPULSE_METRICS_BASIC_AUTH_USERNAME") or None
    password = env.get("CXPULSE_METRICS_BASIC_AUTH_PASSWORD") or None
    password_file = _readable("CXPULSE_METRICS_BASIC_AUTH_PASSWORD_FILE",
                              env.get("CXPULSE_METRICS_BASIC_AUTH_PASSWORD_FILE"))
    if password_file:
        with open(password_file, encoding="utf-8") as fh:
            password = fh.read().rstrip("\r\n")
    if (username is None) != (password is None):
        raise SecurityError("bad setting CXPULSE_METRICS_BASIC_AUTH_USERNAME: basic auth needs "
                            "both a username and a password (or password file)")
    return MetricsSecurity(certfile=certfile, keyfile=keyfile, username=username,
                           password=password)
