"""PyFlink job idioms beyond the core API run unchanged: ExecutionConfig, checkpoint settings
(accepted, warned), metrics, global job parameters, add_python_file, module paths."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import write_job

JOB = textwrap.dedent('''
    from runtime.common import Types
    from runtime.datastream import StreamExecutionEnvironment, TimeCharacteristic, CheckpointingMode
    from runtime.datastream.functions import MapFunction, ProcessWindowFunction, WindowFunction
    from runtime.datastream.execution_mode import RuntimeExecutionMode
    from runtime.datastream.checkpointing_mode import CheckpointingMode as CM2
    from runtime.common.watermark_strategy import WatermarkStrategy, TimestampAssigner
    from runtime.common.typeinfo import Types as T2
    from runtime.common.serialization import SimpleStringSchema
    import shipped_helper

    class Tag(MapFunction):
        def open(self, runtime_context):
            self.seen = runtime_context.get_metrics_group().add_group("job").counter("seen")
            self.prefix = runtime_context.get_job_parameter("prefix", "missing")

        def map(self, value):
            self.seen.inc()
            return f"{self.prefix}-{shipped_helper.twice(value)}-{self.seen.get_count()}"

    def main():
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_stream_time_characteristic(TimeCharacteristic.EventTime)
        env.enable_checkpointing(1000, CheckpointingMode.EXACTLY_ONCE)
        env.get_checkpoint_config().set_min_pause_between_checkpoints(100)
        env.get_config().set_auto_watermark_interval(50)
        env.get_config().set_global_job_parameters({"prefix": "p"})
        env.set_runtime_mode(RuntimeExecutionMode.STREAMING)
        env.add_python_file(HELPER)
        env.from_collection([1, 2, 3]).map(Tag(), output_type=Types.STRING()).print()
        env.execute("compat")

    if __name__ == "__main__":
        main()
''')


def _write(tmp_path):
    helper_dir = tmp_path / "libs"
    helper_dir.mkdir()
    (helper_dir / "shipped_helper.py").write_text("def twice(x):\n    return 2 * x\n")
    job = write_job(tmp_path, "compat_job.py", f"HELPER = {str(helper_dir / 'shipped_helper.py')!r}\n"
                    + "import sys; sys.path.append(" + repr(str(helper_dir)) + ")\n" + JOB)
    return job


def _expected() -> list[str]:
    return [f"p-{2 * v}-{i}" for i, v in enumerate([1, 2, 3], start=1)]


def test_pyflink_idioms_run_embedded(tmp_path):
    job = _write(tmp_path)
    proc = subprocess.run([sys.executable, str(job)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == _expected()
    assert "checkpointing is not implemented" not in proc.stderr  # checkpoints exist now


def test_add_python_file_ships_the_module_to_taskmanagers(running_cluster, tmp_path):
    job = _write(tmp_path)
    # the module is importable on the client only through add_python_file's path entry;
    # the TaskManagers get it from the job archive
    proc = running_cluster.pyflink("run", str(job), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [l for l in proc.stdout.splitlines() if not l.startswith(("Job has been submitted", "Job with JobID", "Job Runtime"))]
    assert lines == _expected()


def test_modules_next_to_the_job_file_are_shipped(running_cluster, tmp_path):
    """`import helpers` / `from pkg import f` beside job.py work on the TaskManagers without
    --pyfiles: modules the program imported from its own directory go into the archive."""
    (tmp_path / "helpers.py").write_text("def inc(x):\n    return x + 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("def neg(x):\n    return -x\n")
    job = write_job(tmp_path, "sibling_job.py", textwrap.dedent('''
        from runtime.datastream import StreamExecutionEnvironment
        import helpers
        from pkg import neg

        def main():
            env = StreamExecutionEnvironment.get_execution_environment()
            env.from_collection([1, 2, 3]).map(helpers.inc).map(neg).print()
            env.execute("siblings")
    '''))
    proc = running_cluster.pyflink("run", str(job), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [l for l in proc.stdout.splitlines() if not l.startswith(("Job has been submitted", "Job with JobID", "Job Runtime"))]
    assert lines == [str(-(v + 1)) for v in (1, 2, 3)]
