"""PyFlink's ``pyflink.datastream.async_retry_predicates``: ready-made retry conditions."""
from __future__ import annotations

from typing import Any


def empty_result_predicate(result: Any) -> bool:
    """Retry when the call returned no results."""
    return result is None or len(result) == 0


def has_exception_predicate(error: Any) -> bool:
    """Retry when the call raised."""
    return error is not None


def exception_type_predicate(error: Any, expected_error_type: Any) -> bool:
    """Retry when the call raised an ``expected_error_type``."""
    return isinstance(error, expected_error_type)
