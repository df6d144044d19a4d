"""Who may use the REST API, and which requests may change state.

* **Bearer token** (``security.rest.authentication.enabled``, on by default): every request
  but the dashboard page itself needs ``Authorization: Bearer <token>``; the token is
  ``security.rest.token`` or the ``rest.token`` file that ``cluster start`` writes into
  ``security.internal.keys-dir``. A browser page of another site cannot send this header
  without the token, so it can neither read the API nor cancel jobs.
* **State changes** (``PATCH /jobs/<id>``, Flink's legacy ``GET /jobs/<id>/yarn-cancel``)
  must also pass an origin check: a ``Host`` header naming this endpoint (``rest.address``,
  the bind address or loopback; DNS rebinding fails here), an ``Origin`` header, if sent,
  of this endpoint or of ``security.rest.allowed-origins``, and no ``Sec-Fetch-Site`` other
  than ``same-origin``/``none``. ``yarn-cancel`` is a GET, so it is only served when the
  token is required (with authentication off a GET must never change anything).

Flink has no such checks by default (its REST API is open unless SSL client
authentication is configured); this is pyflink's stricter default.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runtime.configuration import options as opts
from runtime.rest.handlers import Request, RestError
from runtime.security.errors import SecurityConfigurationError
from runtime.security.internal_keys import read_rest_token

__all__ = ["RestSecurity"]

#: served without a token: the dashboard page and its ``/static/<file>`` scripts and styles
#: (static, they hold no data; the page asks for the token)
_PUBLIC_PATHS = frozenset({(), ("index.html",)})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _split_host(value: str) -> tuple[str, int | None]:
    """``host[:port]`` or ``[v6]:port`` → (lower-case host, port or None)."""
    try:
        parsed = urlsplit("//" + value.strip())
        return (parsed.hostname or "").lower(), parsed.port
    except ValueError:
        return "", None


@dataclass
class RestSecurity:
    token: str | None
    scheme: str = "http"
    port: int = 0
    hosts: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)

    @classmethod
    def from_config(cls, config: Any, scheme: str, port: int) -> RestSecurity:
        token: str | None = None
        if config.get(opts.SECURITY_REST_AUTHENTICATION_ENABLED):
            token = str(config.get(opts.SECURITY_REST_TOKEN) or "") or read_rest_token(
                Path(config.get(opts.SECURITY_INTERNAL_KEYS_DIR)))
            if not token:
                raise SecurityConfigurationError(
                    "REST authentication is on (security.rest.authentication.enabled) but there is no token: start "
                    "the cluster with `pyflink cluster start` (it writes <keys-dir>/rest.token), set "
                    "security.rest.token, or turn REST authentication off")
        hosts = set(_LOOPBACK_HOSTS)
        for key in (opts.REST_ADDRESS, opts.REST_BIND_ADDRESS):
            value = str(config.get(key) or "").strip().strip("[]").lower()
            if value and value not in ("0.0.0.0", "::", "*"):
                hosts.add(value)
        origins = set()
        for origin in str(config.get(opts.SECURITY_REST_ALLOWED_ORIGINS) or "").split(","):
            origin = origin.strip().rstrip("/").lower()
            if origin:
                origins.add(origin)
                hosts.add(_split_host(urlsplit(origin).netloc)[0])
        return cls(token, scheme, port, hosts, origins)

    @property
    def authentication(self) -> bool:
        return self.token is not None

    def authenticate(self, request: Request) -> None:
        """401 unless the request carries the token (the dashboard page needs none)."""
        segments = request.segments[1:] if request.segments[:1] == ("v1",) else request.segments
        if self.token is None or segments in _PUBLIC_PATHS or (len(segments) == 2 and segments[0] == "static"):
            return
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), self.token.encode()):
            raise RestError(401, "missing or wrong bearer token: send 'Authorization: Bearer <token>' (the token is "
                                 "security.rest.token or the rest.token file in security.internal.keys-dir)",
                            {"WWW-Authenticate": 'Bearer realm="pyflink"'})

    def check_state_change(self, request: Request) -> None:
        """403 for a state-changing request that may come from another site."""
        host, port = _split_host(request.headers.get("host", ""))
        if host not in self.hosts or (port is not None and port != self.port):
            raise RestError(403, f"refused: the Host header {request.headers.get('host', '')[:100]!r} does not name "
                                 "this endpoint (rest.address); state-changing calls must address it directly")
        origin = request.headers.get("origin")
        if origin is not None:
            normalised = origin.strip().rstrip("/").lower()
            o = urlsplit(normalised)
            ohost, oport = _split_host(o.netloc)
            own = (o.scheme == self.scheme and ohost in self.hosts
                   and (oport or (443 if o.scheme == "https" else 80)) == self.port)
            if not own and normalised not in self.origins:
                raise RestError(403, f"refused a cross-site request from origin {origin[:100]!r} (allowed: this "
                                     "endpoint and security.rest.allowed-origins)")
        fetch_site = request.headers.get("sec-fetch-site", "").lower()
        if fetch_site not in ("", "same-origin", "none") and (origin or "").rstrip("/").lower() not in self.origins:
            raise RestError(403, f"refused a {fetch_site} request: state-changing calls must come from this endpoint's "
                                 "own page or a non-browser client")

    def check_legacy_get(self, request: Request) -> None:
        """``GET .../yarn-cancel`` changes state through a GET: only with the token required."""
        if self.token is None:
            raise RestError(403, "GET /jobs/<id>/yarn-cancel is only served with REST authentication on "
                                 "(security.rest.authentication.enabled); use PATCH /jobs/<id>?mode=cancel")
        self.check_state_change(request)
