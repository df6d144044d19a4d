"""ExecutionConfig: what ``env.get_config()`` returns (PyFlink's ``pyflink.common.ExecutionConfig``).

Backed by the environment: parallelism and the auto-watermark interval are the environment's
own settings; the rest are kept here and shipped with the job where the engine uses them
(global job parameters). Serializer switches (Kryo, Avro, POJO registrations) describe
Flink's Java serialization stack, which does not exist here: they are accepted and kept, so
jobs that set them run unchanged. The environment is held duck-typed, so this module stays
below the DataStream API.
"""
from __future__ import annotations

from typing import Any

from runtime.configuration import options as opts

__all__ = ["ExecutionConfig"]


class ExecutionConfig:
    #: the parallelism of an operator that has none set: the environment's default applies
    PARALLELISM_DEFAULT = -1
    #: a parallelism that is not known yet (Flink's flag value)
    PARALLELISM_UNKNOWN = -2

    def __init__(self, j_execution_config: Any) -> None:
        # PyFlink passes the Java ExecutionConfig; here the environment it belongs to
        self._env = j_execution_config
        self._object_reuse = False
        self._global_job_parameters: dict[str, str] = {}
        self._closure_cleaner = True
        self._auto_generated_uids = True
        self._generic_types = True
        self._force_kryo = False
        self._force_avro = False
        self._latency_tracking_interval = -1
        self._task_cancellation_interval = 30_000
        self._task_cancellation_timeout = 180_000
        self._snapshot_compression = False

    # ----------------------------------------------------------------- environment-backed
    def set_auto_watermark_interval(self, interval: int) -> ExecutionConfig:
        self._env._config.set_string(opts.PIPELINE_AUTO_WATERMARK_INTERVAL.key, str(int(interval)))
        return self

    def get_auto_watermark_interval(self) -> int:
        return self._env._auto_watermark_interval()

    def set_parallelism(self, parallelism: int) -> ExecutionConfig:
        self._env.set_parallelism(parallelism)
        return self

    def get_parallelism(self) -> int:
        return self._env.get_parallelism()

    def set_max_parallelism(self, max_parallelism: int) -> ExecutionConfig:
        self._env.set_max_parallelism(max_parallelism)
        return self

    def get_max_parallelism(self) -> int:
        return self._env.get_max_parallelism()

    def set_global_job_parameters(self, global_job_parameters_dict: dict) -> ExecutionConfig:
        self._global_job_parameters = {str(k): str(v) for k, v in dict(global_job_parameters_dict).items()}
        return self

    def get_global_job_parameters(self) -> dict:
        return dict(self._global_job_parameters)

    def get_configuration(self) -> Any:
        return self._env._config

    # ----------------------------------------------------------------- kept settings
    def enable_object_reuse(self) -> ExecutionConfig:
        self._object_reuse = True  # records are never copied between chained operators anyway
        return self

    def disable_object_reuse(self) -> ExecutionConfig:
        self._object_reuse = False
        return self

    def is_object_reuse_enabled(self) -> bool:
        return self._object_reuse

    def enable_closure_cleaner(self) -> ExecutionConfig:
        self._closure_cleaner = True
        return self

    def disable_closure_cleaner(self) -> ExecutionConfig:
        self._closure_cleaner = False
        return self

    def is_closure_cleaner_enabled(self) -> bool:
        return self._closure_cleaner

    def enable_auto_generated_uids(self) -> ExecutionConfig:
        self._auto_generated_uids = True
        return self

    def disable_auto_generated_uids(self) -> ExecutionConfig:
        self._auto_generated_uids = False
        return self

    def has_auto_generated_uids_enabled(self) -> bool:
        return self._auto_generated_uids

    def enable_generic_types(self) -> ExecutionConfig:
        self._generic_types = True
        return self

    def disable_generic_types(self) -> ExecutionConfig:
        self._generic_types = False
        return self

    def has_generic_types_disabled(self) -> bool:
        return not self._generic_types

    def enable_force_kryo(self) -> ExecutionConfig:
        self._force_kryo = True
        return self

    def disable_force_kryo(self) -> ExecutionConfig:
        self._force_kryo = False
        return self

    def is_force_kryo_enabled(self) -> bool:
        return self._force_kryo

    def enable_force_avro(self) -> ExecutionConfig:
        self._force_avro = True
        return self

    def disable_force_avro(self) -> ExecutionConfig:
        self._force_avro = False
        return self

    def is_force_avro_enabled(self) -> bool:
        return self._force_avro

    def set_latency_tracking_interval(self, interval: int) -> ExecutionConfig:
        self._latency_tracking_interval = int(interval)
        return self

    def get_latency_tracking_interval(self) -> int:
        return self._latency_tracking_interval

    def set_task_cancellation_interval(self, interval: int) -> ExecutionConfig:
        self._task_cancellation_interval = int(interval)
        return self

    def get_task_cancellation_interval(self) -> int:
        return self._task_cancellation_interval

    def set_task_cancellation_timeout(self, timeout: int) -> ExecutionConfig:
        self._task_cancellation_timeout = int(timeout)
        return self

    def get_task_cancellation_timeout(self) -> int:
        return self._task_cancellation_timeout

    def set_use_snapshot_compression(self, use_snapshot_compression: bool) -> ExecutionConfig:
        self._snapshot_compression = bool(use_snapshot_compression)
        return self

    def is_use_snapshot_compression(self) -> bool:
        return self._snapshot_compression

    def get_registered_kryo_types(self) -> list:
        return []

    def get_registered_pojo_types(self) -> list:
        return []

    def get_default_kryo_serializer_classes(self) -> dict:
        return {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExecutionConfig) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return id(self)
