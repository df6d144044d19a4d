"""Errors raised into a user's job that every layer may raise (the key selector runs in the
network's record writer, the other user functions in operators)."""
from __future__ import annotations


class UserFunctionError(Exception):
    """Raised with the operator's name when a user function misbehaves in a way we detect."""
