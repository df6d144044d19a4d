"""StreamExecutionEnvironment: entry point of a job program, named as PyFlink's.

``get_execution_environment()`` returns the context environment when the program runs
under ``pyflink run`` (the CLI installs a factory that submits to the configured cluster),
and otherwise a local environment that runs jobs on the embedded mini cluster.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from runtime.common.configuration import Configuration
from runtime.common.job import JobExecutionResult, JobID
from runtime.compat.unsupported import raise_not_supported
from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration as EngineConfiguration
from runtime.datastream.data_stream import DataStream
from runtime.datastream.functions import ParallelSourceFunction, SourceFunction
from runtime.datastream.python_dependencies import PythonDependencies, prepare_in_process
from runtime.graph.job_graph import build_job_graph
from runtime.graph.stream_graph import GraphError, build_stream_graph
from runtime.graph.transformation import Transformation
from runtime.jobgraph.job_graph import JobGraph
from runtime.streaming.sources import CollectionSourceOperator, SourceFunctionOperator

#: Installed by the CLI's PackagedProgram: () -> executor for the configured target.
_context_executor_factory: Callable[[], Any] | None = None
_context_configuration: EngineConfiguration | None = None
#: keys of the job-level settings a program's configuration hands to its JobMaster
_JOB_LEVEL_PREFIXES = ("execution.checkpointing.", "restart-strategy", "execution.savepoint.", "state.checkpoints.",
                       "state.savepoints.")
#: module of the executor for ``python job.py`` (PipelineExecutor of the "local" target)
_LOCAL_EXECUTOR_MODULE = "runtime.minicluster.mini_cluster"


class StreamExecutionEnvironment:
    def __init__(self, configuration: Configuration | None = None, executor_factory: Callable[[], Any] | None = None) -> None:
        self._config = Configuration(configuration) if configuration is not None else Configuration()
        self._transformations: list[Transformation] = []
        self._parallelism = self._config.get(opts.PARALLELISM_DEFAULT)
        self._max_parallelism = self._config.get(opts.PIPELINE_MAX_PARALLELISM)
        self._buffer_timeout = self._config.get(opts.EXECUTION_BUFFER_TIMEOUT)
        self._chaining = True
        self._executor_factory = executor_factory
        self._runtime_mode: Any = None
        self._execution_config: Any = None
        self._checkpoint_config: Any = None
        self._python_deps = PythonDependencies()
        self._default_local_parallelism = self._parallelism
        self._default_savepoint_directory: str | None = None
        self._changelog_state_backend: bool | None = None
        self._cached_files: list[tuple[str, str, bool]] = []
        self._slot_sharing_groups: dict[str, Any] = {}
        self.last_job_id: str | None = None

    @staticmethod
    def get_execution_environment(configuration: Configuration | None = None) -> StreamExecutionEnvironment:
        if _context_executor_factory is not None:
            conf = Configuration(_context_configuration) if _context_configuration is not None else Configuration()
            if configuration is not None:
                conf.add_all(configuration)
            return StreamExecutionEnvironment(conf, _context_executor_factory)
        return StreamExecutionEnvironment(configuration)

    # ------------------------------------------------------------------ settings
    def set_parallelism(self, parallelism: int) -> StreamExecutionEnvironment:
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, not {parallelism}")
        self._parallelism = parallelism
        return self

    def get_parallelism(self) -> int:
        return self._parallelism

    def set_max_parallelism(self, max_parallelism: int) -> StreamExecutionEnvironment:
        if not 1 <= max_parallelism <= 32768:
            raise ValueError(f"max parallelism must be in 1..32768, not {max_parallelism}")
        self._max_parallelism = max_parallelism
        return self

    def get_max_parallelism(self) -> int:
        return self._max_parallelism

    def set_buffer_timeout(self, timeout_millis: int) -> StreamExecutionEnvironment:
        self._buffer_timeout = max(0, int(timeout_millis))
        return self

    def get_buffer_timeout(self) -> int:
        return self._buffer_timeout

    def disable_operator_chaining(self) -> StreamExecutionEnvironment:
        self._chaining = False
        return self

    def is_chaining_enabled(self) -> bool:
        return self._chaining

    def configure(self, configuration: Configuration) -> StreamExecutionEnvironment:
        self._config.add_all(configuration)
        if configuration.contains_key(opts.PARALLELISM_DEFAULT.key):
            self._parallelism = self._config.get(opts.PARALLELISM_DEFAULT)
        if configuration.contains_key(opts.EXECUTION_BUFFER_TIMEOUT.key):
            self._buffer_timeout = self._config.get(opts.EXECUTION_BUFFER_TIMEOUT)
        if configuration.contains_key(opts.PIPELINE_MAX_PARALLELISM.key):
            self._max_parallelism = self._config.get(opts.PIPELINE_MAX_PARALLELISM)
        return self

    def get_config(self) -> Any:
        """PyFlink's ExecutionConfig (auto-watermark interval, parallelism, job parameters)."""
        from runtime.datastream.execution_config import ExecutionConfig
        if self._execution_config is None:
            self._execution_config = ExecutionConfig(self)
        return self._execution_config

    def get_configuration(self) -> Configuration:
        return self._config

    def enable_checkpointing(self, interval: int, mode: Any = None) -> StreamExecutionEnvironment:
        cfg = self.get_checkpoint_config()
        cfg.set_checkpoint_interval(interval)
        if mode is not None:
            cfg.set_checkpointing_mode(mode)
        return self

    def get_checkpoint_config(self) -> Any:
        from runtime.datastream.execution_config import CheckpointConfig
        if self._checkpoint_config is None:
            self._checkpoint_config = CheckpointConfig()
        return self._checkpoint_config

    def get_checkpoint_interval(self) -> int:
        return self.get_checkpoint_config().get_checkpoint_interval()

    def set_stream_time_characteristic(self, characteristic: Any) -> StreamExecutionEnvironment:
        """Deprecated in Flink 1.12 (event time is always on); accepted so old jobs run."""
        return self

    def add_jars(self, *jars_path: str) -> None:
        """There is no JVM: jars cannot be loaded. Accepted (and ignored) so that jobs which
        add connector jars for other parts of their pipeline still build."""
        import logging
        logging.getLogger(__name__).warning("add_jars(%s) ignored: pyflink runs no JVM", ", ".join(jars_path))

    def add_classpaths(self, *classpaths: str) -> None:
        """Like :meth:`add_jars`: accepted and ignored (no JVM)."""
        self.add_jars(*classpaths)

    def add_python_file(self, file_path: str) -> None:
        """Ship a .py file or a directory with the job (like ``pyflink run --pyFiles``)."""
        import os
        import sys
        if not os.path.exists(file_path):
            raise FileNotFoundError(f"add_python_file: {file_path} does not exist")
        self._python_deps.files.append(os.path.abspath(file_path))
        entry = os.path.abspath(file_path if os.path.isdir(file_path) else os.path.dirname(file_path))
        if entry not in sys.path:
            sys.path.append(entry)

    def add_python_archive(self, archive_path: str, target_dir: str | None = None) -> None:
        """Ship a zip/tar archive with the job, extracted into ``target_dir`` (default: the
        archive's file name) of the job's directory on every TaskManager (like ``-pyarch``);
        see :mod:`runtime.datastream.python_dependencies`."""
        from runtime.datastream.python_dependencies import archive_target, check_archive
        path = check_archive(archive_path)
        self._python_deps.archives.append((path, archive_target(archive_path, target_dir)))

    def set_python_executable(self, python_exec: str) -> None:
        """The interpreter of the tasks (like ``-pyexec``). Tasks run inside the TaskManagers,
        so this can only be their interpreter: another Python version is refused at submission."""
        self._python_deps.executable = python_exec

    def set_python_requirements(self, requirements_file_path: str, requirements_cache_dir: str | None = None) -> None:
        """Install ``requirements_file_path`` for the job (like ``-pyreq``): the client installs
        them into a directory shipped with the job (offline from ``requirements_cache_dir``)."""
        from runtime.datastream.python_dependencies import check_requirements
        self._python_deps.requirements = check_requirements(requirements_file_path, requirements_cache_dir)

    def register_cached_file(self, file_path: str, name: str, executable: bool = False) -> None:
        """Flink's distributed cache (files for user functions). PyFlink's RuntimeContext has no
        accessor for it; the file is shipped with the job like an ``add_python_file`` entry."""
        import os
        if not os.path.exists(file_path):
            raise FileNotFoundError(f"register_cached_file: {file_path} does not exist")
        self._cached_files.append((os.path.abspath(file_path), name, bool(executable)))
        self._python_deps.files.append(os.path.abspath(file_path))

    def register_slot_sharing_group(self, slot_sharing_group: Any) -> StreamExecutionEnvironment:
        """Register a slot sharing group's resource spec (kept; slots here are whole slots)."""
        self._slot_sharing_groups[slot_sharing_group.get_name()] = slot_sharing_group
        return self

    def set_default_local_parallelism(self, parallelism: int) -> None:
        """The parallelism of jobs run on the embedded mini cluster when none is set."""
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, not {parallelism}")
        self._default_local_parallelism = parallelism

    def get_default_local_parallelism(self) -> int:
        return self._default_local_parallelism

    def set_default_savepoint_directory(self, directory: str) -> StreamExecutionEnvironment:
        self._default_savepoint_directory = directory
        return self

    def get_default_savepoint_directory(self) -> str | None:
        return self._default_savepoint_directory

    def enable_changelog_state_backend(self, enabled: bool) -> StreamExecutionEnvironment:
        """Flink's changelog state backend (FLIP-158); kept, the heap backend has no changelog."""
        self._changelog_state_backend = bool(enabled)
        return self

    def is_changelog_state_backend_enabled(self) -> bool | None:
        return self._changelog_state_backend

    def is_chaining_of_operators_with_different_max_parallelism_enabled(self) -> bool:
        """Flink chains operators whose max parallelism differs (its default); so does this engine."""
        return True

    def get_checkpointing_mode(self) -> Any:
        return self.get_checkpoint_config().get_checkpointing_mode()

    def get_checkpointing_consistency_mode(self) -> Any:
        return self.get_checkpoint_config().get_checkpointing_mode()

    def is_unaligned_checkpoints_enabled(self) -> bool:
        return self.get_checkpoint_config().is_unaligned_checkpoints_enabled()

    def is_force_unaligned_checkpoints(self) -> bool:
        return self.get_checkpoint_config().is_force_unaligned_checkpoints()

    def create_input(self, input_format: Any, type_info: Any = None) -> DataStream:
        raise_not_supported("pyflink.datastream.stream_execution_environment.StreamExecutionEnvironment.create_input")

    def close(self) -> None:
        """Release the environment's transformations (PyFlink also drops cached results)."""
        self._transformations = []

    def set_runtime_mode(self, execution_mode: Any) -> StreamExecutionEnvironment:
        name = getattr(execution_mode, "name", str(execution_mode)).upper()
        self._runtime_mode = opts.EXECUTION_RUNTIME_MODE.parse(name, "set_runtime_mode")
        return self

    def _resolved_runtime_mode(self, graph: Any) -> str:
        mode = self._runtime_mode or self._config.get(opts.EXECUTION_RUNTIME_MODE)
        bounded = all(n.bounded for n in graph.nodes if n.is_source)
        if mode == "AUTOMATIC":
            return "BATCH" if bounded else "STREAMING"
        if mode == "BATCH" and not bounded:
            names = ", ".join(n.name for n in graph.nodes if n.is_source and not n.bounded)
            raise GraphError(f"BATCH execution needs bounded sources, but {names} is unbounded; "
                             "use STREAMING (the default) or a bounded source")
        return mode

    # ------------------------------------------------------------------ sources
    def _add_transformation(self, t: Transformation) -> None:
        self._transformations.append(t)

    def from_collection(self, collection: Iterable[Any], type_info: Any = None) -> DataStream:
        """A non-parallel source of the collection's elements. With ``type_info`` the elements
        are checked and converted by it here, once (tuples become Rows for ``Types.ROW``,
        ``FLOAT`` values 32-bit floats, ...): what PyFlink's Java collection source hands on."""
        values = list(collection)
        if type_info is not None:
            from runtime.common.type_conversion import TypeConversionError, make_converter
            convert = make_converter(type_info, collection=True)
            if convert is not None:
                for i, v in enumerate(values):
                    try:
                        convert([v])
                    except TypeConversionError as exc:
                        raise TypeError(f"from_collection: element {i} ({v!r:.80}) does not match type "
                                        f"{type_info}: {exc}") from None
                values = convert(values)
        op = CollectionSourceOperator("Source: Collection Source", values, type_info)
        t = Transformation("Source: Collection Source", op, [], output_type=type_info, kind="source", non_parallel=True)
        self._add_transformation(t)
        return DataStream(self, t)

    def from_source(self, source: Any, watermark_strategy: Any, source_name: str, type_info: Any = None) -> DataStream:
        name = f"Source: {source_name}"
        op = source.create_operator(name)
        op.output_type = type_info
        op.watermark_strategy = watermark_strategy
        t = Transformation(name, op, [], output_type=type_info, kind="source", bounded=getattr(source, "bounded", True))
        self._add_transformation(t)
        return DataStream(self, t)

    def add_source(self, source_func: SourceFunction, source_name: str = "Custom Source", type_info: Any = None) -> DataStream:
        if not isinstance(source_func, SourceFunction):
            raise TypeError(f"add_source() takes a SourceFunction, got {type(source_func).__name__}")
        name = f"Source: {source_name}"
        op = SourceFunctionOperator(name, source_func, type_info, bounded=getattr(source_func, "bounded", False))
        t = Transformation(name, op, [], output_type=type_info, kind="source",
                           non_parallel=not isinstance(source_func, ParallelSourceFunction),
                           bounded=getattr(source_func, "bounded", False))
        self._add_transformation(t)
        return DataStream(self, t)

    def socket_text_stream(self, hostname: str, port: int, delimiter: str = "\n", max_retry: int = 0) -> DataStream:
        """Lines (split at ``delimiter``) read from a TCP server, as Flink's ``socketTextStream``:
        non-parallel and unbounded; it ends when the server closes the connection (after
        ``max_retry`` reconnections, -1: reconnect forever). See ``runtime.streaming.socket_source``."""
        from runtime.common.typeinfo import Types
        from runtime.streaming.socket_source import SocketTextStreamOperator
        if not isinstance(delimiter, str) or not delimiter:
            raise ValueError(f"socket_text_stream: delimiter must be a non-empty string, got {delimiter!r}")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"socket_text_stream: port must be in 1..65535, got {port!r}")
        if max_retry < -1:
            raise ValueError(f"socket_text_stream: max_retry must be -1 (forever), 0 or positive, got {max_retry}")
        name = "Source: Socket Stream"
        op = SocketTextStreamOperator(name, hostname, port, delimiter, max_retry)
        op.output_type = Types.STRING()
        t = Transformation(name, op, [], output_type=op.output_type, kind="source", non_parallel=True, bounded=False)
        self._add_transformation(t)
        return DataStream(self, t)

    # ------------------------------------------------------------------ graphs
    def _job_name(self, job_name: str | None) -> str:
        return job_name or self._config.get(opts.PIPELINE_NAME) or "Flink Streaming Job"

    def _stream_graph(self, job_name: str | None):
        if not self._transformations:
            raise GraphError("no operators defined in the streaming topology; cannot execute")
        return build_stream_graph(self._transformations, self._job_name(job_name), self._parallelism,
                                  self._max_parallelism, self._chaining)

    def _auto_watermark_interval(self) -> int:
        return self._config.get(opts.PIPELINE_AUTO_WATERMARK_INTERVAL)

    def _job_config(self) -> dict[str, str]:
        """The options the job's tasks and its JobMaster act on, as the strings the JobGraph
        carries: the task settings, and every checkpoint / restart-strategy / savepoint
        setting given to the program (configuration, ``-D``, ``run -s``, the API)."""
        out = {
            opts.EXECUTION_BATCH_SIZE.key: str(self._config.get(opts.EXECUTION_BATCH_SIZE)),
            opts.EXECUTION_BUFFER_TIMEOUT.key: str(self._buffer_timeout),
            opts.PIPELINE_AUTO_WATERMARK_INTERVAL.key: str(self._auto_watermark_interval()),
        }
        for key in sorted(self._config.keys()):
            if key.startswith(_JOB_LEVEL_PREFIXES):
                out[key] = self._config.get_string(key, "")
        if self._checkpoint_config is not None:
            out.update(self._checkpoint_config.to_job_options())
        if self._default_savepoint_directory:
            out[opts.SAVEPOINT_DIRECTORY.key] = self._default_savepoint_directory
        return out

    def get_execution_plan(self) -> str:
        import json
        graph = self._stream_graph(None)
        job = build_job_graph(graph, JobID(0, 0), serialize=False)
        return json.dumps(job.plan, indent=2)

    def get_job_graph(self, job_name: str | None = None) -> JobGraph:
        graph = self._stream_graph(job_name)
        config = self._job_config()
        config[opts.EXECUTION_RUNTIME_MODE.key] = self._resolved_runtime_mode(graph)
        job = build_job_graph(graph, JobID.generate(), config)
        if self._execution_config is not None and self._execution_config.get_global_job_parameters():
            job.job_parameters = {str(k): str(v)
                                  for k, v in self._execution_config.get_global_job_parameters().items()}
        return job

    def _submit(self, executor: Any, job_graph: JobGraph, detached: bool) -> Any:
        deps = None if self._python_deps.is_empty() else self._python_deps.copy()
        return executor.submit(job_graph, detached=detached, python_dependencies=deps)

    # ------------------------------------------------------------------ execution
    def _executor(self):
        if self._executor_factory is not None:
            return self._executor_factory()
        # the embedded mini cluster is found by name, as Flink's executors are found through a
        # service loader: the API does not depend on the cluster that runs it
        import importlib
        module = importlib.import_module(_LOCAL_EXECUTOR_MODULE)
        return _InProcessDependencies(module.MiniClusterExecutor(self._config))

    def execute_async(self, job_name: str = "Flink Streaming Job"):
        job_graph = self.get_job_graph(job_name)
        self._transformations = []
        client = self._submit(self._executor(), job_graph, True)
        self.last_job_id = client.get_job_id().to_hex_string()
        return client

    def execute(self, job_name: str | None = None) -> JobExecutionResult:
        job_graph = self.get_job_graph(job_name)
        self._transformations = []
        executor = self._executor()
        client = self._submit(executor, job_graph, not executor.attached)
        self.last_job_id = client.get_job_id().to_hex_string()
        if not executor.attached:
            return JobExecutionResult(client.get_job_id(), 0)
        return client.get_job_execution_result()

    def _execute_and_collect(self, stream: DataStream, job_name: str | None, limit: int | None):
        from runtime.datastream.collect import CollectResultIterator, CollectSinkOperator
        op = CollectSinkOperator("Collect Sink")
        stream._add("Collect Sink", op, kind="sink")
        job_graph = self.get_job_graph(job_name or "Collect Job")
        self._transformations = []
        client = self._submit(self._executor(), job_graph, True)
        self.last_job_id = client.get_job_id().to_hex_string()
        it = CollectResultIterator(client)
        if limit is None:
            return it
        out = []
        try:
            for v in it:
                out.append(v)
                if len(out) >= limit:
                    break
        finally:
            it.close()
        return out


class _InProcessDependencies:
    """Wraps the embedded mini cluster's executor: a job's archives and requirements are
    prepared in this process (they run here) before it is submitted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.attached = inner.attached

    def submit(self, job_graph: JobGraph, detached: bool = False,
               python_dependencies: PythonDependencies | None = None) -> Any:
        if python_dependencies is not None:
            prepare_in_process(python_dependencies)
        return self.inner.submit(job_graph, detached)
