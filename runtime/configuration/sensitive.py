"""Which configuration values are secrets (Flink's ``GlobalConfiguration.isSensitive``).

A key is sensitive when it contains one of Flink's sensitive words (``password``,
``secret``, ``token``, ``apikey``, ...) or its last segment ends in ``key``
(``s3.secret-key``, ``fs.azure.account.key``). Values of such keys are shown as
``******`` wherever configuration is displayed or logged (``/jobmanager/config``, the
dashboard, start-up logs, error messages), and they are never put on a process command
line (children get their configuration through a pipe).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["HIDDEN_CONTENT", "SENSITIVE_KEY_PARTS", "is_sensitive", "mask_dynamic", "mask_value", "masked_items"]

#: Flink's list (GlobalConfiguration.SENSITIVE_KEYS) plus two of ours for private keys.
SENSITIVE_KEY_PARTS = (
    "password", "secret", "fs.azure.account.key", "apikey", "api-key", "auth-params", "service-key",
    "token", "basic-auth", "jaas.config", "http-headers", "private-key", "credential",
)
#: Flink's GlobalConfiguration.HIDDEN_CONTENT
HIDDEN_CONTENT = "******"


def is_sensitive(key: str) -> bool:
    lowered = key.strip().lower()
    if any(part in lowered for part in SENSITIVE_KEY_PARTS):
        return True
    return lowered.rsplit(".", 1)[-1].endswith("key")


def mask_value(key: str, value: object) -> object:
    return HIDDEN_CONTENT if is_sensitive(key) else value


def masked_items(config: Mapping[str, object]) -> list[tuple[str, object]]:
    """``(key, value)`` pairs sorted by key, secrets masked: what may be shown or logged."""
    return [(k, mask_value(k, v)) for k, v in sorted(config.items())]


def mask_dynamic(dynamic: Iterable[str]) -> list[str]:
    """``-D key=value`` strings with secret values masked (for logs and error messages)."""
    out = []
    for arg in dynamic:
        key, sep, value = arg.partition("=")
        out.append(f"{key}{sep}{HIDDEN_CONTENT}" if sep and is_sensitive(key) else arg)
    return out
