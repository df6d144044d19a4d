"""A Flink conf dir is read as it is: ``config.yaml`` (Flink 2.x, nested or flat keys) or
``flink-conf.yaml`` (Flink 1.x, flat ``key: value``), beside ``flink-conf.toml``; nothing in
it is ignored silently, and a broken file is refused with one line naming file and line."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

JOB = textwrap.dedent('''\
    from pyflink.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2]).rebalance().map(lambda x: x).print()
    env.execute("yaml-conf")
''')


def info(conf_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    job = tmp_path / "plan_job.py"
    job.write_text(JOB)
    return subprocess.run([sys.executable, "-m", "pyflink_cli", "info", "--conf-dir", str(conf_dir), str(job)],
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def map_parallelism(proc: subprocess.CompletedProcess) -> int:
    assert proc.returncode == 0, proc.stderr
    vertices = json.loads(proc.stdout)["vertices"]
    return next(v["parallelism"] for v in vertices if v["name"].startswith("Map"))


def conf(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "conf"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(textwrap.dedent(text))
    return d


def test_flink2_config_yaml_nested_keys(tmp_path):
    d = conf(tmp_path, {"config.yaml": """\
        jobmanager:
          rpc:
            address: localhost
          memory:
            process:
              size: 1600m
        parallelism:
          default: 3
    """})
    proc = info(d, tmp_path)
    assert map_parallelism(proc) == 3
    # what has no meaning here is reported, one line per key, not silently dropped
    assert "'jobmanager.memory.process.size'" in proc.stderr and str(d / "config.yaml") in proc.stderr


def test_flink1_flink_conf_yaml_flat_keys(tmp_path):
    d = conf(tmp_path, {"flink-conf.yaml": """\
        # Flink 1.x style
        jobmanager.rpc.address: localhost
        parallelism.default: 2
    """})
    assert map_parallelism(info(d, tmp_path)) == 2


def test_toml_beside_yaml_wins_and_the_conflict_is_reported(tmp_path):
    d = conf(tmp_path, {"config.yaml": "parallelism.default: 3\n", "flink-conf.toml": '"parallelism.default" = 4\n'})
    proc = info(d, tmp_path)
    assert map_parallelism(proc) == 4
    assert "'parallelism.default' is set in config.yaml (3)" in proc.stderr and "flink-conf.toml" in proc.stderr


def test_both_flink_yaml_files_reads_config_yaml_and_says_so(tmp_path):
    d = conf(tmp_path, {"config.yaml": "parallelism.default: 3\n", "flink-conf.yaml": "parallelism.default: 5\n"})
    proc = info(d, tmp_path)
    assert map_parallelism(proc) == 3
    assert f"{d / 'flink-conf.yaml'} is not read" in proc.stderr


def test_broken_yaml_is_refused_in_one_line(tmp_path):
    d = conf(tmp_path, {"config.yaml": "parallelism:\n  default: [3\nrest: {\n"})
    proc = info(d, tmp_path)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: invalid YAML in {d / 'config.yaml'}, line "), lines[0]


def test_yaml_that_is_not_a_mapping_and_wrong_types_are_refused(tmp_path):
    d = conf(tmp_path, {"config.yaml": "- just\n- a list\n"})
    proc = info(d, tmp_path)
    assert proc.returncode == 1 and "expected 'key: value' entries at the top level" in proc.stderr
    d = conf(tmp_path, {"config.yaml": "parallelism:\n  default: many\n"})
    proc = info(d, tmp_path)
    assert proc.returncode == 1 and "parallelism.default" in proc.stderr and "config.yaml" in proc.stderr


def test_a_conf_dir_with_only_yaml_is_found_as_dot_conf(tmp_path):
    conf(tmp_path, {"config.yaml": "parallelism.default: 2\n"})
    job = tmp_path / "plan_job.py"
    job.write_text(JOB)
    proc = subprocess.run([sys.executable, "-m", "pyflink_cli", "info", str(job)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert map_parallelism(proc) == 2


def test_yaml_is_imported_only_when_a_yaml_file_is_read(tmp_path):
    code = ("import sys; from runtime.configuration.loader import load_configuration; from pathlib import Path; "
            f"load_configuration(Path({str(tmp_path)!r})); print('yaml' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=REPO)
    assert proc.stdout.strip() == "False", proc.stderr
