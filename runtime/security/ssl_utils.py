"""TLS for the REST endpoint (Flink's ``SSLUtils.createRestServerSSLEngineFactory``).

Flink reads a JKS/PKCS12 keystore (``security.ssl.rest.keystore`` and its passwords); pyflink
uses Python's ``ssl`` module and therefore PEM files: ``security.ssl.rest.certificate`` (the
certificate chain, leaf first) and ``security.ssl.rest.private-key`` (empty: the key is in
the certificate file), with ``security.ssl.rest.key-password`` for an encrypted key.
TLS 1.2 is the minimum; Python's default ciphers apply.
"""
from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from runtime.configuration import options as opts
from runtime.security.errors import SecurityConfigurationError

__all__ = ["create_rest_server_ssl_context"]


def create_rest_server_ssl_context(config: Any) -> ssl.SSLContext | None:
    """The server context, or None when ``security.ssl.rest.enabled`` is false."""
    if not config.get(opts.SECURITY_SSL_REST_ENABLED):
        return None
    cert = str(config.get(opts.SECURITY_SSL_REST_CERTIFICATE) or "")
    key = str(config.get(opts.SECURITY_SSL_REST_PRIVATE_KEY) or "") or None
    password = str(config.get(opts.SECURITY_SSL_REST_KEY_PASSWORD) or "") or None
    if not cert:
        raise SecurityConfigurationError("security.ssl.rest.enabled is true but security.ssl.rest.certificate is not "
                                         "set; give the PEM file of the REST endpoint's certificate")
    for path, option in ((cert, "security.ssl.rest.certificate"), (key, "security.ssl.rest.private-key")):
        if path is not None and not Path(path).expanduser().is_file():
            raise SecurityConfigurationError(f"{option}: no file {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(Path(cert).expanduser()), str(Path(key).expanduser()) if key else None, password)
    except (ssl.SSLError, OSError) as exc:
        raise SecurityConfigurationError(
            f"cannot load the REST certificate {cert}{f' with the key {key}' if key else ''}: {exc}; the files must "
            "be PEM (certificate chain, then an unencrypted key or security.ssl.rest.key-password)") from None
    return context
