"""Every configuration option pyflink understands.

Keys and defaults follow Apache Flink's names wherever Flink has the same
concept, so a Flink user's muscle memory (and their existing ``-D`` flags)
carry over. Options marked "project-specific" have no Flink equivalent; they
follow Flink's naming style.

Each option is a module-level constant (import it where the value is read, so
a renamed key is a NameError rather than a silent default) and is listed in
:data:`ALL_OPTIONS`, which the loader uses to tell known keys from typos and
the renderer uses to document them all.
"""

from __future__ import annotations

import getpass
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from runtime.configuration.config_option import ConfigOption

# --------------------------------------------------------------------------
# helpers for computed defaults and validation
# --------------------------------------------------------------------------


def _user_name() -> str:
    """The current user's name, falling back to the uid.

    getpass.getuser() raises when no login name is known (containers running
    as an arbitrary uid, daemons without LOGNAME/USER); the uid still gives
    each user a private directory.
    """
    try:
        name = getpass.getuser()
        if name:
            return name
    except Exception:  # noqa: BLE001 - getpass raises KeyError/OSError variously
        pass
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid is not None else "user"


def pyflink_tmp_dir() -> Path:
    """``<tmp>/pyflink-<user>``: the per-user root of the default directories.

    Per user so that two users on one host never share pid files or logs.
    """
    return Path(tempfile.gettempdir()) / f"pyflink-{_user_name()}"


def _tmp_subdir(name: str) -> Callable[[], str]:
    def compute() -> str:
        return str(pyflink_tmp_dir() / name)

    compute.__name__ = f"default_{name}_dir"
    return compute


def _cpu_count() -> int:
    # One TaskManager (one process) per core: the GIL makes processes the unit
    # of CPU parallelism (DESIGN §3).
    return os.cpu_count() or 1


def _at_least(minimum: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if value < minimum:
            raise ValueError(f"an integer >= {minimum}")
        return value

    return check


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError("a port number between 0 and 65535")
    return value


def _range(low: int, high: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"an integer between {low} and {high}")
        return value

    return check


def _one_of(*choices: str) -> Callable[[str], str]:
    lowered = {c.lower(): c for c in choices}

    def check(value: str) -> str:
        canonical = lowered.get(value.strip().lower())
        if canonical is None:
            raise ValueError("one of " + ", ".join(choices))
        return canonical

    return check


def _ha_type(value: str) -> str:
    """Only standalone (non-failover) HA exists; 'standalone' is an alias of NONE.

    Normalised to ``"NONE"`` so the engine has a single value to compare with.
    """
    if value.strip().lower() in ("none", "standalone"):
        return "NONE"
    raise ValueError("NONE (only NONE, i.e. standalone, high availability is supported)")


_LOG_LEVELS = {
    "TRACE": "DEBUG",  # log4j spelling accepted for Flink users; Python has no TRACE
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
    "FATAL": "CRITICAL",
}


def _log_level(value: str) -> str:
    """Map Flink/log4j and Python level names onto Python's logging names."""
    level = _LOG_LEVELS.get(value.strip().upper())
    if level is None:
        raise ValueError("one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


# --------------------------------------------------------------------------
# jobmanager
# --------------------------------------------------------------------------

JOBMANAGER_RPC_ADDRESS = ConfigOption(
    "jobmanager.rpc.address", "str", "localhost",
    "address clients and TaskManagers use to reach the JobManager",
)
JOBMANAGER_RPC_PORT = ConfigOption(
    "jobmanager.rpc.port", "int", 6123,
    "port of the JobManager's RPC socket", validator=_port,
)
JOBMANAGER_BIND_HOST = ConfigOption(
    "jobmanager.bind-host", "str", "",
    "local address the JobManager's RPC socket binds to (empty: jobmanager.rpc.address)",
)

# --------------------------------------------------------------------------
# rest
# --------------------------------------------------------------------------

REST_ADDRESS = ConfigOption(
    "rest.address", "str", "localhost",
    "address clients use to reach the REST endpoint and web dashboard",
)
REST_BIND_ADDRESS = ConfigOption(
    "rest.bind-address", "str", "",
    "local address the REST endpoint binds to (empty: rest.address)",
)
REST_PORT = ConfigOption(
    "rest.port", "int", 8081,
    "port of the REST endpoint and web dashboard (0: pick a free port)",
    deprecated_keys=("web.port",), validator=_port,
)

# --------------------------------------------------------------------------
# taskmanager
# --------------------------------------------------------------------------

TASKMANAGER_COUNT = ConfigOption(
    "taskmanager.count", "int", _cpu_count,
    "project-specific: TaskManagers the JobManager forks on this host",
    default_doc="number of CPU cores", example=4, validator=_at_least(0),
)
TASKMANAGER_NUM_TASK_SLOTS = ConfigOption(
    "taskmanager.numberOfTaskSlots", "int", 1,
    "task slots per TaskManager (one process per core scales better than more slots)",
    validator=_at_least(1),
)
TASKMANAGER_HOST = ConfigOption(
    "taskmanager.host", "str", "localhost",
    "address other TaskManagers use to reach this one's data port",
)
TASKMANAGER_DATA_PORT = ConfigOption(
    "taskmanager.data.port", "portrange", "0",
    "port of the TaskManager's data (shuffle) socket: a port, a range such as 50100-50200 (the first free "
    "one is taken) or 0 for any free port",
)
TASKMANAGER_RESOURCE_ID = ConfigOption(
    "taskmanager.resource-id", "str", "",
    "identity the TaskManager registers with (empty: generated)",
)
TASKMANAGER_NETWORK_BUFFERS_PER_CHANNEL = ConfigOption(
    "taskmanager.network.memory.buffers-per-channel", "int", 16,
    "buffers (batches) in flight per input channel; credits granted to a remote producer",
    validator=_at_least(1),
)

TASK_CANCELLATION_INTERVAL = ConfigOption(
    "task.cancellation.interval", "duration", 500,
    "time between attempts to interrupt a cancelled task's user code (Flink: 30 s; here an "
    "interrupt is an exception raised in the task's thread, so it is tried sooner)",
    validator=_at_least(1),
)
TASK_CANCELLATION_TIMEOUT = ConfigOption(
    "task.cancellation.timeout", "duration", 30_000,
    "a cancelled task that has not finished after this long makes its TaskManager exit (a forked "
    "one is replaced); 0: never (Flink: 180 s)",
    validator=_at_least(0),
)

# --------------------------------------------------------------------------
# parallelism / pipeline
# --------------------------------------------------------------------------

PARALLELISM_DEFAULT = ConfigOption(
    "parallelism.default", "int", 1,
    "parallelism of operators and jobs that do not set one",
    validator=_at_least(1),
)
PIPELINE_MAX_PARALLELISM = ConfigOption(
    "pipeline.max-parallelism", "int", 128,
    "number of key groups: upper bound for rescaling keyed state",
    validator=_range(1, 32768),
)
PIPELINE_NAME = ConfigOption(
    "pipeline.name", "str", "",
    "job name used when execute() is called without one (empty: \"Flink Streaming Job\", as in Flink)",
)

# --------------------------------------------------------------------------
# execution
# --------------------------------------------------------------------------

EXECUTION_BUFFER_TIMEOUT = ConfigOption(
    "execution.buffer-timeout", "duration", 100,
    "longest a partly filled network buffer waits before it is flushed",
)
EXECUTION_BATCH_SIZE = ConfigOption(
    "execution.batch-size", "int", 1000,
    "project-specific: records per network buffer / per operator batch",
    validator=_at_least(1),
)
def _runtime_mode(value: str) -> str:
    v = str(value).strip().upper()
    if v not in ("STREAMING", "BATCH", "AUTOMATIC"):
        raise ValueError("one of STREAMING, BATCH, AUTOMATIC")
    return v


EXECUTION_RUNTIME_MODE = ConfigOption(
    "execution.runtime-mode", "str", "STREAMING",
    "STREAMING, BATCH (bounded inputs only; final results only) or AUTOMATIC (BATCH if every source is bounded)",
    validator=_runtime_mode,
)
PIPELINE_AUTO_WATERMARK_INTERVAL = ConfigOption(
    "pipeline.auto-watermark-interval", "duration", 200,
    "interval at which periodic watermarks are emitted",
)
EXECUTION_ATTACHED = ConfigOption(
    "execution.attached", "bool", True,
    "whether the client waits for the job's result (false: detached, like run -d)",
)
EXECUTION_TARGET = ConfigOption(
    "execution.target", "str", "remote",
    "where jobs run: remote (the configured cluster) or local (an embedded mini cluster)",
    validator=_one_of("remote", "local"),
)

# --------------------------------------------------------------------------
# heartbeat / slot / cluster / rpc / client
# --------------------------------------------------------------------------

HEARTBEAT_INTERVAL = ConfigOption(
    "heartbeat.interval", "duration", 10_000,
    "time between heartbeat requests from a sender to its targets",
)
HEARTBEAT_TIMEOUT = ConfigOption(
    "heartbeat.timeout", "duration", 50_000,
    "silence after which a heartbeat target is considered dead",
)
SLOT_REQUEST_TIMEOUT = ConfigOption(
    "slot.request.timeout", "duration", 300_000,
    "how long a job waits for slots before it fails",
)
CLUSTER_REGISTRATION_INITIAL_TIMEOUT = ConfigOption(
    "cluster.registration.initial-timeout", "duration", 100,
    "first registration attempt's timeout; doubled on each retry",
)
CLUSTER_REGISTRATION_MAX_TIMEOUT = ConfigOption(
    "cluster.registration.max-timeout", "duration", 30_000,
    "upper bound of the registration attempt timeout",
)
RPC_ASK_TIMEOUT = ConfigOption(
    "rpc.ask-timeout", "duration", 10_000,
    "project-specific: timeout of one RPC call",
)
CLIENT_TIMEOUT = ConfigOption(
    "client.timeout", "duration", 60_000,
    "timeout of a job submission (and of the embedded cluster's client calls)",
)

# --------------------------------------------------------------------------
# env
# --------------------------------------------------------------------------

ENV_LOG_DIR = ConfigOption(
    "env.log.dir", "str", _tmp_subdir("log"),
    "directory of the JobManager's and TaskManagers' log files",
    default_doc="<temp dir>/pyflink-<user>/log", example="/var/log/pyflink",
)
ENV_PID_DIR = ConfigOption(
    "env.pid.dir", "str", _tmp_subdir("pid"),
    "directory of the pid files that cluster stop uses to find running processes",
    default_doc="<temp dir>/pyflink-<user>/pid", example="/var/run/pyflink",
)
ENV_LOG_LEVEL = ConfigOption(
    "env.log.level", "str", "INFO",
    "log level of cluster processes: DEBUG, INFO, WARNING, ERROR or CRITICAL",
    validator=_log_level,
)
ENV_LOG_MAX = ConfigOption(
    "env.log.max", "int", 10,
    "rolled-over .log and .out files kept per process (<name>.log.1 ... .log.N; 0: none kept)",
    validator=_at_least(0),
)
ENV_LOG_MAX_FILE_SIZE = ConfigOption(
    "env.log.max-file-size", "memory", 100 << 20,
    "project-specific: size at which a process's .log and .out files roll over (Flink's log4j "
    "SizeBasedTriggeringPolicy, 100MB); 0: never",
)
TASKMANAGER_JOB_OUTPUT_MAX_FILE_SIZE = ConfigOption(
    "taskmanager.job-output.max-file-size", "memory", 10 << 20,
    "project-specific: size at which a job's output file on a TaskManager rolls over (one older part is "
    "kept, so a job holds at most twice this per TaskManager)",
    validator=_at_least(1024),
)
TASKMANAGER_JOB_OUTPUT_RETAINED_JOBS = ConfigOption(
    "taskmanager.job-output.retained-jobs", "int", 20,
    "project-specific: jobs whose printed output a TaskManager keeps for pyflink logs; the files of older "
    "jobs that no longer run there are deleted (all are deleted when the TaskManager exits)",
    validator=_at_least(1),
)

# --------------------------------------------------------------------------
# high-availability / jobstore
# --------------------------------------------------------------------------

HIGH_AVAILABILITY_TYPE = ConfigOption(
    "high-availability.type", "str", "NONE",
    "high-availability mode; only NONE (standalone) is supported",
    deprecated_keys=("high-availability",), validator=_ha_type,
)
HIGH_AVAILABILITY_STORAGE_DIR = ConfigOption(
    "high-availability.storageDir", "str", _tmp_subdir("ha"),
    "directory of submitted job graphs and blobs, read back when the JobManager restarts",
    default_doc="<temp dir>/pyflink-<user>/ha", example="/var/lib/pyflink/ha",
)
JOBSTORE_MAX_CAPACITY = ConfigOption(
    "jobstore.max-capacity", "int", 2147483647,
    "finished jobs the Dispatcher keeps (list -a, REST /jobs/:id of ended jobs); the oldest go first",
    validator=_at_least(0), default_doc="2147483647 (unbounded; jobstore.expiration-time bounds it)",
)
JOBSTORE_EXPIRATION_TIME = ConfigOption(
    "jobstore.expiration-time", "int", 3600,
    "seconds after its end that a finished job is purged from the job store",
    validator=_at_least(1),
)
JOBSTORE_CACHE_SIZE = ConfigOption(
    "jobstore.cache-size", "int", 52428800,
    "bytes of finished jobs' details the job store keeps in memory (the rest is read from disk on demand)",
    validator=_at_least(0),
)
WEB_EXCEPTION_HISTORY_SIZE = ConfigOption(
    "web.exception-history-size", "int", 16,
    "failures of a job kept for REST /jobs/:id/exceptions (the newest ones)",
    validator=_at_least(1),
)

# --------------------------------------------------------------------------
# checkpointing and state (Flink 2.x names; the 1.x names are accepted too)
# --------------------------------------------------------------------------


def _restart_type(value: str) -> str:
    v = value.strip().lower()
    aliases = {"none": "none", "off": "none", "disable": "none", "fixed-delay": "fixed-delay",
               "fixeddelay": "fixed-delay", "exponential-delay": "exponential-delay",
               "exponentialdelay": "exponential-delay", "failure-rate": "failure-rate", "failurerate": "failure-rate"}
    if v not in aliases:
        raise ValueError("one of none, fixed-delay, exponential-delay, failure-rate")
    return aliases[v]


def _positive_float(value: float) -> float:
    if value < 1.0:
        raise ValueError("a number >= 1")
    return value


def _fraction(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("a number between 0 and 1")
    return value


CHECKPOINTING_INTERVAL = ConfigOption(
    "execution.checkpointing.interval", "duration", 0,
    "interval between checkpoints (0: checkpointing off)",
)
CHECKPOINTING_MODE = ConfigOption(
    "execution.checkpointing.mode", "str", "EXACTLY_ONCE",
    "EXACTLY_ONCE (barriers aligned per input channel) or AT_LEAST_ONCE (not aligned)",
    validator=_one_of("EXACTLY_ONCE", "AT_LEAST_ONCE"),
)
CHECKPOINTING_TIMEOUT = ConfigOption(
    "execution.checkpointing.timeout", "duration", 600_000,
    "a checkpoint not completed within this time is aborted",
    validator=_at_least(1),
)
CHECKPOINTING_MIN_PAUSE = ConfigOption(
    "execution.checkpointing.min-pause", "duration", 0,
    "least time between the end of one checkpoint and the start of the next",
)
CHECKPOINTING_MAX_CONCURRENT = ConfigOption(
    "execution.checkpointing.max-concurrent-checkpoints", "int", 1,
    "checkpoints that may be in progress at the same time",
    validator=_at_least(1),
)
CHECKPOINTING_TOLERABLE_FAILURES = ConfigOption(
    "execution.checkpointing.tolerable-failed-checkpoints", "int", 0,
    "consecutive failed checkpoints tolerated before the job fails",
    validator=_at_least(0),
)
CHECKPOINTING_EXTERNALIZED_RETENTION = ConfigOption(
    "execution.checkpointing.externalized-checkpoint-retention", "str", "NO_EXTERNALIZED_CHECKPOINTS",
    "what happens to retained checkpoints when the job is cancelled or fails: "
    "NO_EXTERNALIZED_CHECKPOINTS, DELETE_ON_CANCELLATION or RETAIN_ON_CANCELLATION",
    validator=_one_of("NO_EXTERNALIZED_CHECKPOINTS", "DELETE_ON_CANCELLATION", "RETAIN_ON_CANCELLATION"),
)
CHECKPOINTS_DIRECTORY = ConfigOption(
    "execution.checkpointing.dir", "str", _tmp_subdir("checkpoints"),
    "where checkpoints are written: a path or an fsspec URL (s3://..., with the s3 extra installed)",
    deprecated_keys=("state.checkpoints.dir",),
    default_doc="<temp dir>/pyflink-<user>/checkpoints", example="s3://bucket/checkpoints",
)
SAVEPOINT_DIRECTORY = ConfigOption(
    "execution.checkpointing.savepoint-dir", "str", "",
    "default target directory of savepoints (a path or an fsspec URL)",
    deprecated_keys=("state.savepoints.dir",),
)
CHECKPOINTS_NUM_RETAINED = ConfigOption(
    "execution.checkpointing.num-retained", "int", 1,
    "completed checkpoints kept (older ones are deleted)",
    deprecated_keys=("state.checkpoints.num-retained",), validator=_at_least(1),
)
SAVEPOINT_RESTORE_PATH = ConfigOption(
    "execution.savepoint.path", "str", "",
    "savepoint (or retained checkpoint) directory a submitted job starts from (pyflink run -s)",
)
SAVEPOINT_IGNORE_UNCLAIMED_STATE = ConfigOption(
    "execution.savepoint.ignore-unclaimed-state", "bool", False,
    "restore even if the savepoint has state of operators the job lacks (pyflink run -n)",
)
METRICS_REPORTERS = ConfigOption(
    "metrics.reporters", "str", "",
    "names of the metric reporters to start (comma separated; each configured with metrics.reporter.<name>.*)",
)
METRICS_FETCHER_UPDATE_INTERVAL = ConfigOption(
    "metrics.fetcher.update-interval", "duration", 1000,
    "how old the metrics the REST API shows may be before they are fetched again (Flink: 10 s)",
)
RESTART_STRATEGY = ConfigOption(
    "restart-strategy.type", "str", "",
    "none, fixed-delay, exponential-delay or failure-rate (empty: exponential-delay when checkpointing "
    "is on, none otherwise)",
    deprecated_keys=("restart-strategy",), validator=lambda v: _restart_type(v) if v else "",
)
RESTART_FIXED_DELAY_ATTEMPTS = ConfigOption(
    "restart-strategy.fixed-delay.attempts", "int", 1,
    "restarts before the job fails (fixed-delay)", validator=_at_least(0),
)
RESTART_FIXED_DELAY_DELAY = ConfigOption(
    "restart-strategy.fixed-delay.delay", "duration", 1000,
    "pause before each restart (fixed-delay)",
)
RESTART_EXPONENTIAL_INITIAL_BACKOFF = ConfigOption(
    "restart-strategy.exponential-delay.initial-backoff", "duration", 1000,
    "pause before the first restart (exponential-delay)",
)
RESTART_EXPONENTIAL_MAX_BACKOFF = ConfigOption(
    "restart-strategy.exponential-delay.max-backoff", "duration", 60_000,
    "longest pause between restarts (exponential-delay)",
)
RESTART_EXPONENTIAL_MULTIPLIER = ConfigOption(
    "restart-strategy.exponential-delay.backoff-multiplier", "float", 1.5,
    "factor by which the pause grows after each failure (exponential-delay)", validator=_positive_float,
)
RESTART_EXPONENTIAL_RESET_THRESHOLD = ConfigOption(
    "restart-strategy.exponential-delay.reset-backoff-threshold", "duration", 3_600_000,
    "a job running this long without failure starts again from the initial backoff",
)
RESTART_EXPONENTIAL_JITTER = ConfigOption(
    "restart-strategy.exponential-delay.jitter-factor", "float", 0.1,
    "random share (plus or minus) of each pause (exponential-delay)", validator=_fraction,
)
RESTART_EXPONENTIAL_ATTEMPTS = ConfigOption(
    "restart-strategy.exponential-delay.attempts-before-reset-backoff", "int", 2**31 - 1,
    "restarts before the job fails, counted until the backoff resets (exponential-delay)",
    validator=_at_least(0),
)
RESTART_FAILURE_RATE_MAX_FAILURES = ConfigOption(
    "restart-strategy.failure-rate.max-failures-per-interval", "int", 1,
    "failures within the interval after which the job fails (failure-rate)", validator=_at_least(1),
)
RESTART_FAILURE_RATE_INTERVAL = ConfigOption(
    "restart-strategy.failure-rate.failure-rate-interval", "duration", 60_000,
    "the interval the failure rate is measured over (failure-rate)",
)
RESTART_FAILURE_RATE_DELAY = ConfigOption(
    "restart-strategy.failure-rate.delay", "duration", 1000,
    "pause before each restart (failure-rate)",
)

#: Every option by key, in documentation order.
ALL_OPTIONS: dict[str, ConfigOption] = {
    opt.key: opt
    for opt in (
        JOBMANAGER_RPC_ADDRESS,
        JOBMANAGER_RPC_PORT,
        JOBMANAGER_BIND_HOST,
        REST_ADDRESS,
        REST_BIND_ADDRESS,
        REST_PORT,
        TASKMANAGER_COUNT,
        TASKMANAGER_NUM_TASK_SLOTS,
        TASKMANAGER_HOST,
        TASKMANAGER_DATA_PORT,
        TASKMANAGER_RESOURCE_ID,
        TASKMANAGER_NETWORK_BUFFERS_PER_CHANNEL,
        TASK_CANCELLATION_INTERVAL,
        TASK_CANCELLATION_TIMEOUT,
        PARALLELISM_DEFAULT,
        PIPELINE_MAX_PARALLELISM,
        PIPELINE_NAME,
        EXECUTION_BUFFER_TIMEOUT,
        EXECUTION_BATCH_SIZE,
        PIPELINE_AUTO_WATERMARK_INTERVAL,
        EXECUTION_RUNTIME_MODE,
        EXECUTION_ATTACHED,
        EXECUTION_TARGET,
        HEARTBEAT_INTERVAL,
        HEARTBEAT_TIMEOUT,
        SLOT_REQUEST_TIMEOUT,
        CLUSTER_REGISTRATION_INITIAL_TIMEOUT,
        CLUSTER_REGISTRATION_MAX_TIMEOUT,
        RPC_ASK_TIMEOUT,
        CLIENT_TIMEOUT,
        ENV_LOG_DIR,
        ENV_PID_DIR,
        ENV_LOG_LEVEL,
        ENV_LOG_MAX,
        ENV_LOG_MAX_FILE_SIZE,
        TASKMANAGER_JOB_OUTPUT_MAX_FILE_SIZE,
        TASKMANAGER_JOB_OUTPUT_RETAINED_JOBS,
        HIGH_AVAILABILITY_TYPE,
        HIGH_AVAILABILITY_STORAGE_DIR,
        JOBSTORE_MAX_CAPACITY,
        JOBSTORE_EXPIRATION_TIME,
        JOBSTORE_CACHE_SIZE,
        WEB_EXCEPTION_HISTORY_SIZE,
        CHECKPOINTING_INTERVAL,
        CHECKPOINTING_MODE,
        CHECKPOINTING_TIMEOUT,
        CHECKPOINTING_MIN_PAUSE,
        CHECKPOINTING_MAX_CONCURRENT,
        CHECKPOINTING_TOLERABLE_FAILURES,
        CHECKPOINTING_EXTERNALIZED_RETENTION,
        CHECKPOINTS_DIRECTORY,
        SAVEPOINT_DIRECTORY,
        CHECKPOINTS_NUM_RETAINED,
        SAVEPOINT_RESTORE_PATH,
        SAVEPOINT_IGNORE_UNCLAIMED_STATE,
        METRICS_REPORTERS,
        METRICS_FETCHER_UPDATE_INTERVAL,
        RESTART_STRATEGY,
        RESTART_FIXED_DELAY_ATTEMPTS,
        RESTART_FIXED_DELAY_DELAY,
        RESTART_EXPONENTIAL_INITIAL_BACKOFF,
        RESTART_EXPONENTIAL_MAX_BACKOFF,
        RESTART_EXPONENTIAL_MULTIPLIER,
        RESTART_EXPONENTIAL_RESET_THRESHOLD,
        RESTART_EXPONENTIAL_JITTER,
        RESTART_EXPONENTIAL_ATTEMPTS,
        RESTART_FAILURE_RATE_MAX_FAILURES,
        RESTART_FAILURE_RATE_INTERVAL,
        RESTART_FAILURE_RATE_DELAY,
    )
}


# --------------------------------------------------------------------------
# security and several hosts (issue 10; see docs/security.md). One block, so
# that it merges cleanly with the options of other subsystems.
# --------------------------------------------------------------------------

SECURITY_INTERNAL_ENABLED = ConfigOption(
    "security.internal.enabled", "bool", True,
    "authenticate and encrypt every ZeroMQ connection (RPC, data ports, output relay) with CURVE keys "
    "from security.internal.keys-dir; turn off only on a trusted network",
)
SECURITY_INTERNAL_KEYS_DIR = ConfigOption(
    "security.internal.keys-dir", "str", _tmp_subdir("keys"),
    "project-specific: directory (mode 0700) of the cluster's CURVE key pairs, its authorized_clients list "
    "and the REST token; created by cluster start, copied to the hosts of other TaskManagers and clients",
    default_doc="<temp dir>/pyflink-<user>/keys", example="/etc/pyflink/keys",
)
SECURITY_INTERNAL_MAX_MESSAGE_SIZE = ConfigOption(
    "security.internal.max-message-size", "memory", 32 << 20,
    "largest message any ZeroMQ socket accepts (job archives travel in one); a peer sending a larger one "
    "is disconnected",
    validator=_at_least(64 << 10),
)
SECURITY_LIMITS_MAX_PARALLELISM = ConfigOption(
    "security.limits.max-parallelism", "int", 32768,
    "project-specific: highest max parallelism (so also parallelism) of a vertex the JobManager accepts",
    validator=_range(1, 32768),
)
SECURITY_LIMITS_MAX_SLOTS = ConfigOption(
    "security.limits.max-slots-per-taskmanager", "int", 1024,
    "project-specific: most slots a TaskManager may announce when it registers",
    validator=_range(1, 1 << 16),
)
SECURITY_LIMITS_MAX_PENDING_PARTITION_REQUESTS = ConfigOption(
    "security.limits.max-pending-partition-requests", "int", 1024,
    "project-specific: requests for partitions not (yet) produced a TaskManager keeps waiting at once; "
    "more are refused, and each waits at most 5 min",
    validator=_at_least(1),
)
SECURITY_REST_AUTHENTICATION_ENABLED = ConfigOption(
    "security.rest.authentication.enabled", "bool", True,
    "project-specific: REST calls (except the dashboard page itself) need 'Authorization: Bearer <token>'",
)
SECURITY_REST_TOKEN = ConfigOption(
    "security.rest.token", "str", "",
    "project-specific: the REST bearer token (empty: the one cluster start writes to <keys-dir>/rest.token)",
)
SECURITY_REST_ALLOWED_ORIGINS = ConfigOption(
    "security.rest.allowed-origins", "str", "",
    "project-specific: comma-separated origins (https://host:port) besides the endpoint's own that may "
    "send state-changing REST calls",
)
SECURITY_SSL_REST_ENABLED = ConfigOption(
    "security.ssl.rest.enabled", "bool", False,
    "serve REST and the dashboard over TLS (https) with the PEM files below",
)
SECURITY_SSL_REST_CERTIFICATE = ConfigOption(
    "security.ssl.rest.certificate", "str", "",
    "project-specific: PEM file with the REST endpoint's certificate chain (instead of Flink's keystore)",
)
SECURITY_SSL_REST_PRIVATE_KEY = ConfigOption(
    "security.ssl.rest.private-key", "str", "",
    "project-specific: PEM file with the certificate's private key (empty: it is in the certificate file)",
)
SECURITY_SSL_REST_KEY_PASSWORD = ConfigOption(
    "security.ssl.rest.key-password", "str", "",
    "password of an encrypted private key",
)
REST_SERVER_MAX_CONNECTIONS = ConfigOption(
    "rest.server.max-connections", "int", 256,
    "project-specific: HTTP connections the REST endpoint serves at once",
    validator=_at_least(1),
)
REST_SERVER_MAX_CONNECTIONS_PER_CLIENT = ConfigOption(
    "rest.server.max-connections-per-client", "int", 16,
    "project-specific: HTTP connections one client address may hold at once (more are closed at once)",
    validator=_at_least(1),
)
REST_SERVER_HEADER_TIMEOUT = ConfigOption(
    "rest.server.header-timeout", "duration", 5000,
    "project-specific: time a client has to send its request line and headers",
    validator=_at_least(1),
)
TASKMANAGER_BIND_HOST = ConfigOption(
    "taskmanager.bind-host", "str", "",
    "local address the TaskManager's data socket binds to (empty: taskmanager.host)",
)

#: The options of this block, in documentation order.
SECURITY_OPTIONS = (
    SECURITY_INTERNAL_ENABLED, SECURITY_INTERNAL_KEYS_DIR, SECURITY_INTERNAL_MAX_MESSAGE_SIZE,
    SECURITY_LIMITS_MAX_PARALLELISM, SECURITY_LIMITS_MAX_SLOTS, SECURITY_LIMITS_MAX_PENDING_PARTITION_REQUESTS,
    SECURITY_REST_AUTHENTICATION_ENABLED, SECURITY_REST_TOKEN, SECURITY_REST_ALLOWED_ORIGINS,
    SECURITY_SSL_REST_ENABLED, SECURITY_SSL_REST_CERTIFICATE, SECURITY_SSL_REST_PRIVATE_KEY,
    SECURITY_SSL_REST_KEY_PASSWORD,
    REST_SERVER_MAX_CONNECTIONS, REST_SERVER_MAX_CONNECTIONS_PER_CLIENT, REST_SERVER_HEADER_TIMEOUT,
    TASKMANAGER_BIND_HOST,
)
ALL_OPTIONS.update((opt.key, opt) for opt in SECURITY_OPTIONS)


def register_option(option: ConfigOption) -> ConfigOption:
    """Add an option defined by another package to :data:`ALL_OPTIONS`.

    Lets subsystems (checkpointing, restart strategies, ...) keep their option
    next to the code that reads it while the loader still recognises the key.
    The defining module must be imported before configuration is loaded for
    the key to count as known. Re-registering an identical option is a no-op;
    a different option under an existing key is a programming error.
    """
    existing = ALL_OPTIONS.get(option.key)
    if existing is not None and existing != option:
        raise ValueError(f"configuration option {option.key!r} is already defined differently")
    ALL_OPTIONS[option.key] = option
    return option


def option_for_key(key: str) -> ConfigOption | None:
    """Look up an option by its key or one of its deprecated keys (or a per-reporter key)."""
    option = ALL_OPTIONS.get(key)
    if option is not None:
        return option
    for candidate in ALL_OPTIONS.values():
        if key in candidate.deprecated_keys:
            return candidate
    return reporter_option(key)


#: the options of one metric reporter, as Flink's ``metrics.reporter.<name>.<option>``
REPORTER_OPTIONS = {
    "factory.class": ("str", "the reporter: org.apache.flink.metrics.prometheus.PrometheusReporterFactory"),
    "class": ("str", "the reporter by its class (Flink 1.x): org.apache.flink.metrics.prometheus.PrometheusReporter"),
    "port": ("str", "port or port range the reporter's HTTP endpoint binds (first free one)"),
    "host": ("str", "address the reporter's HTTP endpoint binds"),
    "interval": ("duration", "reporting interval (pull reporters ignore it)"),
    "scope.variables.excludes": ("str", "scope variables not exported as labels (semicolon separated)"),
    "filterLabelValueCharacters": ("bool", "replace characters Prometheus does not allow in label values"),
}
_reporter_cache: dict[str, ConfigOption] = {}


def reporter_option(key: str) -> ConfigOption | None:
    """``metrics.reporter.<name>.<option>``: one option family per configured reporter."""
    parts = key.split(".", 3)
    if len(parts) != 4 or parts[0] != "metrics" or parts[1] != "reporter" or parts[3] not in REPORTER_OPTIONS:
        return None
    option = _reporter_cache.get(key)
    if option is None:
        kind, doc = REPORTER_OPTIONS[parts[3]]
        option = _reporter_cache[key] = ConfigOption(key, kind, None, doc)
    return option
