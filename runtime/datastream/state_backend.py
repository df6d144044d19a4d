"""PyFlink's ``pyflink.datastream.state_backend``.

Keyed state lives in the task's heap state backend, which is Flink's ``HashMapStateBackend``;
``EmbeddedRocksDBStateBackend`` can be built (jobs that construct one run), its settings are
kept, and a warning says state stays in memory. RocksDB's ``PredefinedOptions`` is on the
not-supported list.
"""
from __future__ import annotations

import logging
from typing import Any

from runtime.compat.unsupported import module_getattr

__all__ = ["StateBackend", "HashMapStateBackend", "EmbeddedRocksDBStateBackend", "CustomStateBackend"]

log = logging.getLogger(__name__)


class StateBackend:
    """Base of the state backends."""

    def __init__(self, j_state_backend: Any) -> None:
        self._settings = j_state_backend

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HashMapStateBackend(StateBackend):
    """Keyed state as objects on the heap: this engine's state backend."""

    def __init__(self, j_hashmap_state_backend: Any = None) -> None:
        super().__init__(None)


class EmbeddedRocksDBStateBackend(StateBackend):
    """Accepted for compatibility; state is kept in memory (there is no RocksDB)."""

    def __init__(self, enable_incremental_checkpointing: bool | None = None,
                 j_embedded_rocks_db_state_backend: Any = None) -> None:
        super().__init__(None)
        self._incremental = bool(enable_incremental_checkpointing)
        self._paths: list[str] = []
        self._transfer_threads = 4
        self._options: str | None = None
        self._predefined: Any = None
        log.warning("EmbeddedRocksDBStateBackend: there is no RocksDB here; keyed state is kept in memory "
                    "(HashMapStateBackend)")

    def is_incremental_checkpoints_enabled(self) -> bool:
        return self._incremental

    def set_db_storage_paths(self, *paths: str) -> None:
        self._paths = list(paths)

    def get_db_storage_paths(self) -> list[str]:
        return list(self._paths)

    def set_number_of_transfer_threads(self, number_of_transfering_threads: int) -> None:
        self._transfer_threads = int(number_of_transfering_threads)

    def get_number_of_transfer_threads(self) -> int:
        return self._transfer_threads

    def set_options(self, options_factory_class_name: str) -> None:
        self._options = options_factory_class_name

    def get_options(self) -> str | None:
        return self._options

    def set_predefined_options(self, options: Any) -> None:
        self._predefined = options

    def get_predefined_options(self) -> Any:
        return self._predefined


class CustomStateBackend(StateBackend):
    """PyFlink wraps a Java StateBackend here; a Python object is kept as it is."""

    def __init__(self, j_custom_state_backend: Any) -> None:
        super().__init__(j_custom_state_backend)


__getattr__ = module_getattr(__name__)
