"""Flink's command-line options on `pyflink` (run -py/-pym/-pyfs/-pyreq/-pyarch/-pyexec/-c/-sae,
-m and -h everywhere, --version, --json), one-line usage errors, tables that never cut a
job id, shell completion. Cluster runs share one 2-TaskManager cluster."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, ClusterEnv, free_port, wait_until
from stream_support import stream_cluster  # noqa: F401 - the shared cluster fixture

COMMANDS = [["run"], ["info"], ["list"], ["cancel"], ["stop"], ["savepoint"], ["cluster"], ["cluster", "start"],
            ["cluster", "stop"], ["cluster", "status"], ["jobmanager"], ["jobmanager", "start"],
            ["jobmanager", "start-foreground"], ["jobmanager", "stop"], ["taskmanager"], ["taskmanager", "start"],
            ["taskmanager", "start-foreground"], ["taskmanager", "stop"], ["compat"], ["compat", "install"],
            ["compat", "uninstall"], ["compat", "status"]]
CLIENT_COMMANDS = [["run"], ["info"], ["list"], ["cancel"], ["stop"], ["savepoint"], ["cluster", "status"]]

JOB = '''\
import sys
from pyflink.datastream import StreamExecutionEnvironment


def main():
    print("program output")
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([int(a) for a in sys.argv[1:]] or [1]).map(lambda x: x * 10).print()
    env.execute(JOB_NAME)


JOB_NAME = "cli-options-job"
if __name__ == "__main__":
    main()
'''


def pyflink(*args: str, cwd: Path | None = None, timeout: float = 60, env: dict | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyflink_cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or REPO, env=env)


def one_line_error(proc: subprocess.CompletedProcess, code: int | None = None) -> str:
    assert proc.returncode != 0 if code is None else proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr and "Usage:" not in proc.stderr
    return lines[0]


def records(stdout: str) -> list[str]:
    return sorted(re.sub(r"^\d+> ", "", line) for line in stdout.splitlines()
                  if line.strip() and not line.startswith(("Job has been submitted", "Job with JobID", "Job Runtime")))


@pytest.fixture(scope="module")
def cluster(stream_cluster):
    """The session's shared 2-TaskManager cluster (tests/stream_support.py)."""
    return stream_cluster


@pytest.fixture
def job(tmp_path) -> Path:
    path = tmp_path / "options_job.py"
    path.write_text(JOB)
    return path


# ------------------------------------------------------------------ help, version, usage errors
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_takes_h(command):
    for flag in ("-h", "--help"):
        proc = pyflink(*command, flag)
        assert proc.returncode == 0 and proc.stdout.startswith("Usage:"), (flag, proc.stdout, proc.stderr)


@pytest.mark.parametrize("command", CLIENT_COMMANDS, ids=" ".join)
def test_client_commands_take_jobmanager(command):
    assert "-m, --jobmanager HOST:PORT" in pyflink(*command, "-h").stdout


def test_version():
    proc = pyflink("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"pyflink \d+\.\d+\.\d+ \(PyFlink 2\.3\.0 API, .*Python 3\.\d+\.\d+\)\n", proc.stdout), proc.stdout


def test_run_help_shows_program_arguments_and_flink_options():
    text = pyflink("run", "-h").stdout
    assert re.search(r"Usage: .* run \[OPTIONS\] \[JOB_FILE\] \[ARGS\]\.\.\.", text), text
    for option in ("-py, --python", "-pym, --pyModule", "-pyfs, --pyFiles", "-pyreq, --pyRequirements",
                   "-pyarch, --pyArchives", "-pyexec, --pyExecutable", "-c, --class", "-sae, --shutdownOnAttachedExit",
                   "-m, --jobmanager", "-t, --target", "-p, --parallelism", "-d, --detached", "--json"):
        assert option in text, option
    assert "the program's arguments" in text


@pytest.mark.parametrize("args,needle", [
    (["list", "--bogus"], "No such option: --bogus"),
    (["cancel"], "Missing argument"),
    (["run", "-p", "many", "job.py"], "'-p' / '--parallelism'"),
    (["nosuch"], "No such command 'nosuch'"),
    (["cluster", "stats"], "No such command 'stats'"),
])
def test_usage_errors_are_one_line(args, needle):
    line = one_line_error(pyflink(*args), code=2)
    assert needle in line and "--help" in line, line


@pytest.mark.parametrize("args,needle", [
    (["list", "-m", "nohost"], "-m/--jobmanager expects HOST:PORT"),
    (["run", "-t", "yarn-per-job", "job.py"], "-t/--target must be remote or local"),
    (["run", "-py", "a.py", "-pym", "b"], "not both"),
    (["run"], "no job given"),
    (["run", "-t", "local", "-pym", "no_such_module_xyz"], "no Python module 'no_such_module_xyz'"),
    (["run", "--json", "job.py"], "--json is for detached runs"),
])
def test_bad_input_is_one_line(tmp_path, args, needle):
    line = one_line_error(pyflink(*args, cwd=tmp_path), code=1)
    assert needle in line, line


def test_list_reaches_the_cluster_named_with_m(cluster, tmp_path):
    # no conf dir here: only the address and the cluster's keys
    keys = f"security.internal.keys-dir={cluster.keys_dir}"
    proc = pyflink("list", "-m", f"localhost:{cluster.rpc_port}", "-D", keys, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = one_line_error(pyflink("list", "-m", f"localhost:{free_port()}", "-D", keys, cwd=tmp_path), code=1)
    assert "no JobManager is reachable" in line


# ------------------------------------------------------------------ how the job is given
def test_py_option_and_program_arguments(job):
    proc = pyflink("run", "-t", "local", "-py", str(job), "4", "5")
    assert proc.returncode == 0, proc.stderr
    assert records(proc.stdout) == sorted(["program output", "40", "50"])


def test_py_module_with_py_files_and_entry_point(tmp_path):
    lib = tmp_path / "lib"
    (lib / "jobs").mkdir(parents=True)
    (lib / "jobs" / "__init__.py").write_text("")
    (lib / "jobs" / "double.py").write_text(textwrap.dedent("""\
        from pyflink.datastream import StreamExecutionEnvironment

        def run_me():
            env = StreamExecutionEnvironment.get_execution_environment()
            env.from_collection([1, 2]).map(lambda x: ("entry", x * 2)).print()
            env.execute("entry")

        if __name__ == "__main__":
            env = StreamExecutionEnvironment.get_execution_environment()
            env.from_collection([1, 2]).map(lambda x: ("module", x * 2)).print()
            env.execute("module")
    """))
    proc = pyflink("run", "-t", "local", "-pyfs", str(lib), "-pym", "jobs.double", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert records(proc.stdout) == [str(("module", 2)), str(("module", 4))]
    proc = pyflink("run", "-t", "local", "-pyfs", str(lib), "-pym", "jobs.double", "-c", "run_me", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert records(proc.stdout) == [str(("entry", 2)), str(("entry", 4))]
    line = one_line_error(pyflink("run", "-t", "local", "-pyfs", str(lib), "-pym", "jobs.double", "-c", "nope",
                                  cwd=tmp_path), code=1)
    assert "defines no top-level 'nope'" in line


def test_py_files_zip_and_py_archives(cluster, tmp_path):
    libzip = tmp_path / "libs.zip"
    with zipfile.ZipFile(libzip, "w") as zf:
        zf.writestr("tripler.py", "def triple(x):\n    return 3 * x\n")
    data = tmp_path / "data.zip"
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("factors/offset.txt", "7\n")
        # a module in the archive finds the archive's files beside itself
        zf.writestr("factors/__init__.py", "import os\n\ndef offset():\n"
                    "    with open(os.path.join(os.path.dirname(__file__), 'offset.txt')) as f:\n"
                    "        return int(f.read())\n")
    job = tmp_path / "archive_job.py"
    job.write_text(textwrap.dedent("""\
        from pyflink.datastream import StreamExecutionEnvironment, MapFunction
        import tripler

        class AddOffset(MapFunction):
            def open(self, runtime_context):
                from mydata import factors   # the archive, extracted into mydata/
                self.offset = factors.offset()

            def map(self, value):
                return tripler.triple(value) + self.offset

        def main():
            env = StreamExecutionEnvironment.get_execution_environment()
            env.from_collection([1, 2, 3]).map(AddOffset()).print()
            env.execute("archives")

        if __name__ == "__main__":
            main()
    """))
    for target in ("remote", "local"):
        proc = cluster.pyflink("run", "-t", target, "-pyfs", str(libzip), "-pyarch", f"{data}#mydata", str(job),
                               timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert records(proc.stdout) == sorted(str(3 * v + 7) for v in (1, 2, 3)), target


def _wheel(directory: Path) -> Path:
    """A minimal wheel of a one-module package, so pip can install it offline."""
    wheel = directory / "tinylib_xyz-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("tinylib_xyz.py", "def greet(x):\n    return f'hello {x}'\n")
        zf.writestr("tinylib_xyz-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tinylib-xyz\nVersion: 1.0\n")
        zf.writestr("tinylib_xyz-1.0.dist-info/WHEEL",
                    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr("tinylib_xyz-1.0.dist-info/RECORD", "")
    return wheel


def test_py_requirements_are_installed_for_the_job(cluster, tmp_path):
    cache = tmp_path / "packages"
    cache.mkdir()
    _wheel(cache)
    req = tmp_path / "requirements.txt"
    req.write_text("tinylib-xyz==1.0\n")
    job = tmp_path / "req_job.py"
    job.write_text(textwrap.dedent("""\
        from pyflink.datastream import StreamExecutionEnvironment

        def greet(x):
            import tinylib_xyz  # installed for the job, not in this environment
            return tinylib_xyz.greet(x)

        def main():
            env = StreamExecutionEnvironment.get_execution_environment()
            env.from_collection(["ann", "bob"]).map(greet).print()
            env.execute("requirements")

        if __name__ == "__main__":
            main()
    """))
    for target in ("remote", "local"):
        proc = cluster.pyflink("run", "-t", target, "-pyreq", f"{req}#{cache}", str(job), timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert records(proc.stdout) == ["hello ann", "hello bob"], target
    bad = tmp_path / "bad-requirements.txt"
    bad.write_text("no-such-package-xyz==9.9\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    line = one_line_error(cluster.pyflink("run", "-pyreq", f"{bad}#{empty}", str(job), timeout=120), code=1)
    assert f"could not install the requirements in {bad}" in line and "pip install -r" in line, line


def test_py_executable_is_checked_against_the_taskmanagers_python(job, tmp_path):
    proc = pyflink("run", "-t", "local", "-pyexec", sys.executable, str(job))
    assert proc.returncode == 0, proc.stderr
    other = tmp_path / "python2"
    other.write_text("#!/bin/sh\necho 2.7\n")
    other.chmod(0o755)
    line = one_line_error(pyflink("run", "-t", "local", "-pyexec", str(other), str(job)), code=1)
    assert "is Python 2.7" in line and "TaskManagers" in line, line
    proc = pyflink("run", "-t", "local", "-pyexec", "venv.zip/venv/bin/python", str(job))
    assert proc.returncode == 0 and "warning: python executable venv.zip/venv/bin/python is not on this machine" \
        in proc.stderr, proc.stderr


# ------------------------------------------------------------------ detached JSON, -sae, status JSON, tables
def test_detached_run_json(cluster, job):
    proc = cluster.pyflink("run", "-d", "--json", str(job), "2", timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # stdout is the JSON document only
    assert [j["name"] for j in doc["jobs"]] == ["cli-options-job"] and re.fullmatch(r"[0-9a-f]{32}", doc["jobs"][0]["jid"])
    assert "program output" in proc.stderr
    wait_until(lambda: any(j["jid"] == doc["jobs"][0]["jid"] and j["state"] == "FINISHED" for j in
                           json.loads(cluster.pyflink("list", "-a", "--json").stdout)["jobs"]), 30, message="job done")


def test_cluster_status_json_has_the_taskmanagers(cluster):
    doc = json.loads(cluster.pyflink("cluster", "status", "--json", check=True).stdout)
    assert doc["taskmanagers"] == 2 and len(doc["taskmanager-list"]) == 2  # the shared cluster: 2 x 2 slots
    assert all({"id", "pid", "slotsNumber", "freeSlots"} <= set(tm) for tm in doc["taskmanager-list"])
    assert doc["jobmanager"] == f"localhost:{cluster.rpc_port}"


def test_cluster_start_json(tmp_path):
    env = ClusterEnv(tmp_path, free_port(), free_port())
    env.write_conf(taskmanager__count=1)
    try:
        proc = env.pyflink("cluster", "start", "--json", check=True)
        doc = json.loads(proc.stdout)
        assert doc["jobmanager"]["address"] == f"localhost:{env.rpc_port}" and doc["overview"]["taskmanagers"] == 1
        assert len(doc["taskmanagers"]) == 1 and doc["taskmanagers"][0]["pid"] in env.pids()
    finally:
        env.pyflink("cluster", "stop")
        wait_until(lambda: not env.processes(), 15, message="cluster processes to exit")


ENDLESS = '''\
import time
from pyflink.datastream import StreamExecutionEnvironment
from runtime.datastream import SourceFunction


class Ticks(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        while self.running:
            ctx.collect(1)
            time.sleep(0.05)

    def cancel(self):
        self.running = False


env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Ticks()).print()
env.execute("endless-sae")
'''


def test_shutdown_on_attached_exit_cancels_the_job(cluster, tmp_path):
    job = tmp_path / "endless.py"
    job.write_text(ENDLESS)
    client = subprocess.Popen([sys.executable, "-m", "pyflink_cli", "run", "-sae", "--conf-dir",
                               str(cluster.conf_dir), str(job)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        first = client.stdout.readline()
        jid = re.search(r"[0-9a-f]{32}", first).group(0)
        wait_until(lambda: any(j["jid"] == jid and j["state"] == "RUNNING" for j in
                               json.loads(cluster.pyflink("list", "--json").stdout)["jobs"]), 20, message="RUNNING")
        client.send_signal(signal.SIGTERM)
        _, err = client.communicate(timeout=30)
    finally:
        if client.poll() is None:
            client.kill()
    assert client.returncode == 130
    assert f"cancelled job {jid}" in err
    wait_until(lambda: any(j["jid"] == jid and j["state"] == "CANCELED" for j in
                           json.loads(cluster.pyflink("list", "-a", "--json").stdout)["jobs"]), 20, message="CANCELED")


def test_job_ids_are_never_cut_at_80_columns(cluster, tmp_path):
    long_name = "a job with a rather long name that cannot fit into eighty columns next to its id " * 2
    job = tmp_path / "named_job.py"
    job.write_text(JOB.replace('JOB_NAME = "cli-options-job"', f"JOB_NAME = {long_name!r}"))
    cluster.pyflink("run", str(job), check=True, timeout=60)
    proc = subprocess.run([sys.executable, "-m", "pyflink_cli", "list", "-a", "--conf-dir", str(cluster.conf_dir)],
                          capture_output=True, text=True, timeout=30, env=dict(os.environ, COLUMNS="80"))
    assert proc.returncode == 0, proc.stderr
    ids = [j["jid"] for j in json.loads(cluster.pyflink("list", "-a", "--json").stdout)["jobs"]]
    assert ids and all(jid in proc.stdout for jid in ids), proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80, proc.stdout


# ------------------------------------------------------------------ completion
def test_shell_completion_installs(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), SHELL="/bin/bash")
    proc = subprocess.run([sys.executable, "-m", "pyflink_cli", "--show-completion", "bash"], capture_output=True,
                          text=True, timeout=30, env=env)
    assert proc.returncode == 0 and "complete" in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "pyflink_cli", "--install-completion", "bash"], capture_output=True,
                          text=True, timeout=30, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / ".bashrc").is_file()
