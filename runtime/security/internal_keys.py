"""The cluster's CURVE keys: created once by ``cluster start``, read by every process.

Layout of ``security.internal.keys-dir`` (mode 0700, every file 0600)::

    jobmanager.key, jobmanager.key_secret     the JobManager's RPC socket (CURVE server)
    taskmanager.key, taskmanager.key_secret   TaskManagers: client of the JobManager, server and
                                              client of the data ports
    client.key, client.key_secret             the CLI (and job programs run by it)
    authorized_clients                        "ROLE Z85-PUBLIC-KEY [comment]" lines: who may connect
    rest.token                                the REST bearer token

The key files are pyzmq's certificate files (``zmq.auth.create_certificates``); ``*.key``
holds only the public key, ``*.key_secret`` both. A process only needs the public keys of
the servers it connects to and its own pair: a remote TaskManager host needs
``jobmanager.key``, ``taskmanager.key_secret`` and ``authorized_clients``, a remote CLI
``jobmanager.key`` and ``client.key_secret`` (copying the whole directory is simplest).

Mirrors what Flink keeps in its keystore/truststore for internal SSL
(``security.ssl.internal.*``), with CURVE key pairs instead of certificates.
"""
from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.security.errors import SecurityConfigurationError

__all__ = ["AUTHORIZED_CLIENTS", "REST_TOKEN_FILE", "ROLES", "CurveKeyPair", "InternalKeys", "ensure_keys",
           "load_keys", "read_authorized_clients"]

ROLE_JOBMANAGER = "jobmanager"
ROLE_TASKMANAGER = "taskmanager"
ROLE_CLIENT = "client"
#: roles a connecting key may have (the JobManager's own key is only ever a server key)
ROLES = (ROLE_CLIENT, ROLE_TASKMANAGER)
AUTHORIZED_CLIENTS = "authorized_clients"
REST_TOKEN_FILE = "rest.token"

_HEADER = """\
# Public CURVE keys (Z85) allowed to connect to this pyflink cluster, one per line:
#   ROLE KEY [comment]
# ROLE client: the CLI (submit, list, cancel, shut down); ROLE taskmanager: may register with the
# JobManager and exchange records with other TaskManagers. Add a line to let another key in.
"""


@dataclass(frozen=True)
class CurveKeyPair:
    """A CURVE key pair in Z85 (40 characters each); ``secret`` is None for a peer's key."""

    public: bytes
    secret: bytes | None = None


@dataclass(frozen=True)
class InternalKeys:
    """What one process loaded: its own key pair, the servers' public keys, the authorised list."""

    directory: Path
    role: str
    own: CurveKeyPair
    jobmanager_public: bytes
    taskmanager_public: bytes
    #: Z85 public key -> role
    authorized: dict[bytes, str] = field(default_factory=dict)

    def role_of(self, public_key_z85: bytes) -> str | None:
        return self.authorized.get(public_key_z85)


def _zmq_auth() -> Any:
    """pyzmq's certificate functions, imported when keys are read or made: `cluster start`
    checks that the keys exist before it forks the JobManager, and should not wait for pyzmq."""
    import zmq.auth
    return zmq.auth


def _fail(message: str) -> SecurityConfigurationError:
    return SecurityConfigurationError(message)


def _check_private(path: Path, what: str) -> None:
    """Refuse a directory or secret file another user could read or replace."""
    try:
        st = path.stat()
    except OSError as exc:
        raise _fail(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        raise _fail(f"{what} {path} belongs to uid {st.st_uid}, not to this user; "
                    "use a directory of your own (security.internal.keys-dir)")
    if stat.S_IMODE(st.st_mode) & 0o077:
        fix = "chmod 700" if path.is_dir() else "chmod 600"
        raise _fail(f"{what} {path} is accessible by other users (mode {stat.S_IMODE(st.st_mode):o}); "
                    f"run `{fix} {path}`")


def ensure_keys(directory: Path) -> bool:
    """Create the keys directory with fresh key pairs, the authorised list and a REST token
    unless it exists (then it is only checked). Safe against a concurrent start: the
    directory is built under a temporary name and renamed into place. True if created."""
    directory = Path(directory).expanduser()
    if directory.exists():
        _check_private(directory, "keys directory")
        return False
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".keys-", dir=directory.parent))  # mode 0700
    try:
        lines = [_HEADER]
        host = socket.gethostname()
        for name in (ROLE_JOBMANAGER, ROLE_TASKMANAGER, ROLE_CLIENT):
            public_file, secret_file = _zmq_auth().create_certificates(str(tmp), name)
            for f in (public_file, secret_file):
                os.chmod(f, 0o600)
            if name in ROLES:
                public, _ = _zmq_auth().load_certificate(public_file)
                lines.append(f"{name} {public.decode('ascii')} created by cluster start on {host}\n")
        _write_private(tmp / AUTHORIZED_CLIENTS, "".join(lines))
        import secrets  # lazily: only `cluster start` creates keys
        _write_private(tmp / REST_TOKEN_FILE, secrets.token_urlsafe(32) + "\n")
        try:
            os.rename(tmp, directory)
        except OSError:
            if not directory.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another start created it first: use that one
            _check_private(directory, "keys directory")
            return False
        return True
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def read_authorized_clients(path: Path) -> dict[bytes, str]:
    """Parse ``authorized_clients``: ``ROLE KEY [comment]`` per line; lines starting with
    ``#`` are comments."""
    out: dict[bytes, str] = {}
    try:
        text = path.read_text()
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror or exc}") from None
    for n, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):  # (Z85 keys may contain '#': comments are whole lines)
            continue
        if len(words) < 2 or words[0] not in ROLES or len(words[1]) != 40:
            raise _fail(f"{path} line {n}: expected 'ROLE KEY' with ROLE one of {', '.join(ROLES)} "
                        "and a 40-character Z85 public key")
        out[words[1].encode("ascii")] = words[0]
    return out


def _load_public(directory: Path, name: str, needed_by: str) -> bytes:
    path = directory / f"{name}.key"
    if not path.is_file():
        secret = directory / f"{name}.key_secret"
        if secret.is_file():
            path = secret
        else:
            raise _fail(f"no {name} public key in {directory} (needed by {needed_by}); copy the keys "
                        "directory from the JobManager host or point security.internal.keys-dir at it")
    try:
        public, _ = _zmq_auth().load_certificate(str(path))
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read the CURVE key {path}: {exc}") from None
    return public


def _load_pair(directory: Path, name: str, needed_by: str) -> CurveKeyPair:
    path = directory / f"{name}.key_secret"
    if not path.is_file():
        raise _fail(f"no {name} key in {directory} ({path.name} is missing; needed by {needed_by}); copy the keys "
                    "directory from the JobManager host, point security.internal.keys-dir at it, or start the "
                    "cluster with `pyflink cluster start`, which creates it")
    _check_private(path, "secret key file")
    try:
        public, secret = _zmq_auth().load_certificate(str(path))
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read the CURVE key {path}: {exc}") from None
    if not secret:
        raise _fail(f"{path} holds no secret key")
    return CurveKeyPair(public, secret)


def load_keys(directory: Path, role: str) -> InternalKeys:
    """The keys a process of ``role`` (jobmanager, taskmanager, client) needs."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise _fail(f"the keys directory {directory} (security.internal.keys-dir) does not exist; start the "
                    "cluster with `pyflink cluster start` (which creates it), copy it from the JobManager host, "
                    "or set security.internal.enabled=false on every process of a trusted network")
    _check_private(directory, "keys directory")
    needed_by = f"this {role}"
    own = _load_pair(directory, role, needed_by)
    jm = own.public if role == ROLE_JOBMANAGER else _load_public(directory, ROLE_JOBMANAGER, needed_by)
    if role == ROLE_TASKMANAGER:
        tm = own.public
    elif role == ROLE_JOBMANAGER:
        tm = _load_public(directory, ROLE_TASKMANAGER, needed_by)
    else:
        tm = b""
    authorized = read_authorized_clients(directory / AUTHORIZED_CLIENTS)
    if role == ROLE_JOBMANAGER and not authorized:
        raise _fail(f"{directory / AUTHORIZED_CLIENTS} lists no keys: no client or TaskManager could connect")
    if role == ROLE_TASKMANAGER:
        authorized.setdefault(tm, ROLE_TASKMANAGER)  # its peers on the data plane hold the same key
    return InternalKeys(directory, role, own, jm, tm, authorized)


def read_rest_token(directory: Path) -> str | None:
    path = Path(directory).expanduser() / REST_TOKEN_FILE
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _fail(f"cannot read the REST token {path}: {exc.strerror or exc}") from None
    _check_private(path, "REST token file")
    return token or None


def new_key_pair() -> CurveKeyPair:
    """A fresh pair (tests, and a new client key to add to authorized_clients)."""
    import zmq
    public, secret = zmq.curve_keypair()
    return CurveKeyPair(public, secret)
