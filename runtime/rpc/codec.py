"""Wire format of the control plane.

A message is one ZeroMQ frame holding a msgpack map. msgpack (not pickle) is used on purpose:
the JobManager must never execute anything a peer sends, and msgpack only yields plain data
(dicts, lists, str, bytes, numbers). Opaque payloads such as cloudpickled operator chains ride
along as msgpack ``bin`` values that only TaskManagers ever unpickle.
"""
from __future__ import annotations

from typing import Any

import msgpack

CALL = "call"
TELL = "tell"
OK = "ok"
ERR = "err"


#: most items of one msgpack array or map: a small frame cannot expand into a huge structure
#: beyond what the socket's size limit already bounds (a job graph has at most 10,000 vertices)
MAX_CONTAINER_LEN = 1 << 18


class MalformedMessage(Exception):
    """A frame that does not decode to a control-plane message; the receiver drops it."""


def encode(msg: dict[str, Any]) -> bytes:
    return msgpack.packb(msg, use_bin_type=True)


def decode(frame: bytes) -> dict[str, Any]:
    try:
        msg = msgpack.unpackb(frame, raw=False, strict_map_key=False, max_array_len=MAX_CONTAINER_LEN,
                              max_map_len=MAX_CONTAINER_LEN)
    except Exception as exc:  # any decoding failure means a broken or hostile peer
        raise MalformedMessage(f"undecodable frame ({len(frame)} bytes): {exc}") from None
    if not isinstance(msg, dict) or msg.get("k") not in (CALL, TELL, OK, ERR):
        raise MalformedMessage(f"frame is not a control-plane message: {type(msg).__name__}")
    return msg


def call_message(cid: int, target: str, method: str, args: tuple, kwargs: dict,
                 token: str | None, kind: str = CALL) -> bytes:
    return encode({"k": kind, "id": cid, "t": target, "m": method, "tok": token,
                   "a": list(args), "kw": kwargs})


def reply_message(cid: int, result: Any) -> bytes:
    return encode({"k": OK, "id": cid, "r": result})


def error_message(cid: int, error_type: str, message: str) -> bytes:
    return encode({"k": ERR, "id": cid, "c": error_type, "e": message})
