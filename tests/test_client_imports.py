"""Client commands import only what they use (issue 13): every ``pyflink`` command is a new
interpreter, so a module it imports for nothing is paid for on every invocation. Checked
through the commands themselves (what is in ``sys.modules`` when they exit), not timed; and
the message types the client no longer imports up front are still decoded and validated
when a method that returns them is called."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ClusterEnv, started_cluster

#: modules no client command of these tests needs: the JobManager's asyncio RPC service,
#: process inspection, pyzmq's authenticator, the REST side's execution-graph archive and
#: job graph, the typer that imports pydantic, rich (the tables are laid out by pyflink_cli.tables),
#: the task runtime's outputs and metrics (a job program builds operators, it does not run them)
NOT_ON_CLIENT_PATH = ("asyncio", "psutil", "zmq.auth", "runtime.messages.archived_execution_graph",
                      "runtime.messages.taskmanager_messages", "runtime.jobgraph.job_graph", "pydantic", "logging",
                      "rich", "runtime.streaming.tasks.output", "runtime.metrics")

#: modules ``run -d`` does not need beside those: the answers of other calls (job details,
#: log chunks), the futures of JobClient's later calls, the calendar of one SQL type
NOT_ON_SUBMIT_PATH = ("runtime.messages.job_messages", "runtime.messages.log_messages", "concurrent.futures",
                      "calendar")

#: runs the pyflink command given as arguments, then prints the modules it imported
WRAPPER = ("import atexit, runpy, sys\n"
           "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)) + '\\n'))\n"
           "sys.argv = ['pyflink'] + sys.argv[1:]\n"
           "runpy.run_module('pyflink_cli', run_name='__main__', alter_sys=True)\n")


def imported_by(env: ClusterEnv | None, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    cmd = [sys.executable, "-c", WRAPPER, *args] + (["--conf-dir", str(env.conf_dir)] if env is not None else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("MODULES ")]
    assert lines, f"no module list from pyflink {' '.join(args)}: {proc.stderr[-2000:]}"
    return proc, set(lines[-1].split()[1:])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    with started_cluster(Path(tmp_path_factory.mktemp("client-imports")), taskmanager__count=1) as env:
        yield env


def _unwanted(modules: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    banned = [u for u in NOT_ON_CLIENT_PATH if u not in allowed]
    return sorted(m for m in modules if any(m == u or m.startswith(u + ".") for u in banned))


def test_client_commands_import_no_server_side_module(cluster: ClusterEnv):
    root = Path(__file__).resolve().parent.parent
    # a job program imports the API (and logging, the job graph it builds); nothing of the server side
    proc, modules = imported_by(cluster, "run", "-d", str(root / "examples" / "word_count.py"))
    assert proc.returncode == 0, proc.stderr
    job = proc.stdout.split("JobID")[-1].strip()
    assert len(job) == 32, proc.stdout
    unwanted = _unwanted(modules, allowed=("logging", "runtime.jobgraph.job_graph"))
    unwanted += sorted(m for m in NOT_ON_SUBMIT_PATH if m in modules)
    assert not unwanted, f"pyflink run -d imported {unwanted}"
    commands = {
        "--help": (None, ("--help",)),
        "list": (cluster, ("list",)),
        "list --all": (cluster, ("list", "--all")),  # a table with the job above
        "list --all --json": (cluster, ("list", "--all", "--json")),
        "cancel": (cluster, ("cancel", "0" * 32)),
        "logs": (cluster, ("logs", job)),
    }
    for name, (env, args) in commands.items():
        proc, modules = imported_by(env, *args)
        if name == "cancel":  # no such job: the JobManager's answer, decoded, as one line
            assert proc.returncode == 1 and "0" * 32 in proc.stderr, proc.stderr
        else:
            assert proc.returncode == 0, proc.stderr
        if name in ("list --all", "list --all --json"):
            assert job in proc.stdout, proc.stdout
        assert "pyflink_cli.cli" in modules  # the wrapper saw the command's modules
        if env is not None:
            assert "runtime.dispatcher.dispatcher_client" in modules and "zmq" in modules
        unwanted = _unwanted(modules)
        if name != "logs" and "runtime.messages.log_messages" in modules:
            unwanted.append("runtime.messages.log_messages")
        assert not unwanted, f"pyflink {name} imported {unwanted}"


def test_types_imported_on_first_use_are_still_decoded_and_validated(cluster: ClusterEnv):
    """A gateway method whose message type is imported on first use: its result arrives as
    that dataclass (decoded over CURVE from the real JobManager), and malformed data for it
    is refused with the field's path, as for every other method."""
    script = f"""
import sys
from runtime.dispatcher.dispatcher_client import dispatcher_client
from runtime.dispatcher.dispatcher_gateway import DispatcherGateway
from runtime.messages.codec import MessageError
from runtime.rpc.signatures import result_decoder
from runtime.security.internal_keys import load_keys
from runtime.security.socket_security import SocketSecurity
from pathlib import Path

before = "runtime.messages.taskmanager_messages" in sys.modules
gateway = dispatcher_client("tcp://127.0.0.1:{cluster.rpc_port}", 10.0,
                            security=SocketSecurity(load_keys(Path({str(cluster.keys_dir)!r}), "client")))
overview = gateway.cluster_overview()
managers = gateway.list_task_managers()
gateway.close()
print(before, type(overview).__module__, type(overview).__name__, overview.taskmanagers,
      [type(m).__name__ for m in managers])
try:
    result_decoder(DispatcherGateway, "request_execution_graph_info")({{"archived_execution_graph": 1}})
except MessageError as exc:
    print("refused:", exc)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    first, refused = proc.stdout.strip().splitlines()
    assert first == "False runtime.messages.taskmanager_messages ClusterOverview 1 ['TaskManagerInfo']", first
    assert refused.startswith("refused: request_execution_graph_info result.archived_execution_graph: expected a"), \
        refused


def test_every_gateway_method_has_resolvable_types():
    """Each gateway Protocol's methods resolve their annotations (those imported on first use
    included): a name missing from a gateway's table would leave its results undecoded."""
    script = """
import importlib, inspect, typing
from runtime.rpc.signatures import type_hints
bad = []
checked = 0
for module in ("runtime.dispatcher.dispatcher_gateway", "runtime.jobmaster.job_master_gateway",
               "runtime.resourcemanager.resource_manager_gateway", "runtime.taskexecutor.task_executor_gateway",
               "runtime.blob.blob_server_gateway"):
    mod = importlib.import_module(module)
    for cls in list(vars(mod).values()):  # (resolving adds the names imported on first use)
        if inspect.isclass(cls) and cls.__module__ == module and getattr(cls, "_is_protocol", False):
            for name, fn in vars(cls).items():
                if inspect.isfunction(fn) and not name.startswith("_"):
                    checked += 1
                    try:
                        type_hints(fn)
                    except Exception as exc:
                        bad.append(f"{module}.{cls.__name__}.{name}: {exc!r}")
print(checked, bad)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    checked, bad = proc.stdout.strip().split(" ", 1)
    assert int(checked) >= 30 and bad == "[]", proc.stdout
