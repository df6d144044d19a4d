"""Tests for the configuration layer: options, the TOML loader and Configuration."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from runtime.common.configuration import Configuration
from runtime.configuration import (
    ConfigOption,
    ConfigurationError,
    find_conf_dir,
    load_configuration,
    options,
)
from runtime.configuration.loader import CONF_FILE_NAME, default_conf_toml, shipped_conf_toml
from runtime.configuration.options import ALL_OPTIONS

REPO = Path(__file__).resolve().parent.parent


def write_conf(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CONF_FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path


class Collector:
    """A warn callback that records messages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: str) -> None:
        self.messages.append(message)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PYFLINK_CONF_DIR", raising=False)
    monkeypatch.delenv("FLINK_CONF_DIR", raising=False)
    # Run in an empty directory so the repository's ./conf is not found by accident.
    empty = tmp_path / "cwd"
    empty.mkdir()
    monkeypatch.chdir(empty)


# --------------------------------------------------------------------------
# conf dir search order
# --------------------------------------------------------------------------


class TestFindConfDir:
    def test_nothing_found_means_defaults(self) -> None:
        assert find_conf_dir(None) is None

    def test_cli_beats_env(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        cli, env1, env2 = tmp_path / "cli", tmp_path / "env1", tmp_path / "env2"
        for d in (cli, env1, env2):
            d.mkdir()
        monkeypatch.setenv("PYFLINK_CONF_DIR", str(env1))
        monkeypatch.setenv("FLINK_CONF_DIR", str(env2))
        assert find_conf_dir(str(cli)) == cli

    def test_pyflink_env_beats_flink_env(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        env1, env2 = tmp_path / "env1", tmp_path / "env2"
        env1.mkdir()
        env2.mkdir()
        monkeypatch.setenv("PYFLINK_CONF_DIR", str(env1))
        monkeypatch.setenv("FLINK_CONF_DIR", str(env2))
        assert find_conf_dir(None) == env1

    def test_flink_env_beats_local_conf(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        env2 = tmp_path / "env2"
        env2.mkdir()
        write_conf(Path.cwd() / "conf", "")
        monkeypatch.setenv("FLINK_CONF_DIR", str(env2))
        assert find_conf_dir(None) == env2

    def test_local_conf_needs_the_file(self) -> None:
        local = Path.cwd() / "conf"
        local.mkdir()
        assert find_conf_dir(None) is None
        write_conf(local, "")
        assert find_conf_dir(None) == local

    def test_missing_cli_dir_is_an_error(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope"
        with pytest.raises(ConfigurationError) as err:
            find_conf_dir(str(missing))
        assert str(err.value) == f"configuration directory {missing} does not exist (from --conf-dir)"

    @pytest.mark.parametrize("var", ["PYFLINK_CONF_DIR", "FLINK_CONF_DIR"])
    def test_missing_env_dir_names_the_variable(
        self, var: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        missing = tmp_path / "nope"
        monkeypatch.setenv(var, str(missing))
        with pytest.raises(ConfigurationError, match=f"{missing}.*does not exist.*{var}"):
            find_conf_dir(None)


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------


class TestLoad:
    def test_tables_and_dotted_keys_flatten_the_same(self, tmp_path: Path) -> None:
        table = load_configuration(
            write_conf(tmp_path / "a", '[jobmanager.rpc]\nport = 1\naddress = "h"\n[rest]\nport = 2\n').parent
        )
        dotted = load_configuration(
            write_conf(tmp_path / "b", 'jobmanager.rpc.port = 1\njobmanager.rpc.address = "h"\nrest.port = 2\n').parent
        )
        mixed = load_configuration(
            write_conf(tmp_path / "c", 'rest.port = 2\n[jobmanager]\nrpc.port = 1\nrpc.address = "h"\n').parent
        )
        expected = {"jobmanager.rpc.port": 1, "jobmanager.rpc.address": "h", "rest.port": 2}
        assert table.raw() == dotted.raw() == mixed.raw() == expected
        assert table.get(options.JOBMANAGER_RPC_PORT) == 1

    def test_unknown_key_warns_with_file_and_key(self, tmp_path: Path) -> None:
        path = write_conf(tmp_path, "rest.port = 9000\n[jobmanager.rpc]\nprot = 1\n")
        warnings = Collector()
        conf = load_configuration(tmp_path, warn=warnings)
        assert warnings.messages == [f"unknown configuration key 'jobmanager.rpc.prot' in {path} (ignored)"]
        assert conf.raw() == {"rest.port": 9000}

    def test_default_warn_prints_to_stderr(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        write_conf(tmp_path, "bogus = 1\n")
        load_configuration(tmp_path)
        assert "warning: unknown configuration key 'bogus'" in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ('rest.port = "abc"', "invalid value 'abc' for 'rest.port' in {path}: expected an integer"),
            ("rest.port = true", "invalid value true for 'rest.port' in {path}: expected an integer"),
            ("rest.port = 1.5", "invalid value 1.5 for 'rest.port' in {path}: expected an integer"),
            ("execution.attached = 1", "invalid value 1 for 'execution.attached' in {path}: expected true or false"),
            ("jobmanager.rpc.address = 5", "invalid value 5 for 'jobmanager.rpc.address' in {path}: expected a string"),
        ],
    )
    def test_wrong_type_names_key_value_type_and_file(self, tmp_path: Path, line: str, message: str) -> None:
        path = write_conf(tmp_path, line + "\n")
        with pytest.raises(ConfigurationError) as err:
            load_configuration(tmp_path)
        assert str(err.value) == message.format(path=path)

    def test_table_at_option_key_is_a_type_error(self, tmp_path: Path) -> None:
        write_conf(tmp_path, "[rest.port]\nx = 1\n")
        with pytest.raises(ConfigurationError, match="'rest.port'.*expected an integer"):
            load_configuration(tmp_path)

    def test_wrong_duration_in_file(self, tmp_path: Path) -> None:
        write_conf(tmp_path, 'heartbeat.timeout = "soon"\n')
        with pytest.raises(ConfigurationError, match="'soon' for 'heartbeat.timeout'.*expected a duration"):
            load_configuration(tmp_path)

    def test_toml_syntax_error_names_file_and_line(self, tmp_path: Path) -> None:
        path = write_conf(tmp_path, "rest.port = 1\n[jobmanager\n")
        with pytest.raises(ConfigurationError) as err:
            load_configuration(tmp_path)
        text = str(err.value)
        assert str(path) in text and "line 2" in text and "\n" not in text

    def test_dynamic_overrides_file(self, tmp_path: Path) -> None:
        write_conf(tmp_path, 'rest.port = 9000\nheartbeat.interval = "1 s"\n')
        conf = load_configuration(tmp_path, ["rest.port=9001", "parallelism.default = 4"])
        assert conf.get(options.REST_PORT) == 9001
        assert conf.get(options.PARALLELISM_DEFAULT) == 4
        assert conf.get(options.HEARTBEAT_INTERVAL) == 1000

    def test_dynamic_as_mapping(self) -> None:
        conf = load_configuration(None, {"rest.port": "1234"})
        assert conf.get(options.REST_PORT) == 1234

    def test_dynamic_value_may_contain_equals(self) -> None:
        conf = load_configuration(None, ["pipeline.name=a=b"])
        assert conf.get(options.PIPELINE_NAME) == "a=b"

    def test_malformed_dynamic(self) -> None:
        with pytest.raises(ConfigurationError) as err:
            load_configuration(None, ["rest.port"])
        assert str(err.value) == "invalid -D argument 'rest.port': expected key=value"

    def test_unknown_dynamic_warns(self) -> None:
        warnings = Collector()
        conf = load_configuration(None, ["no.such.key=1"], warn=warnings)
        assert warnings.messages == ["unknown configuration key 'no.such.key' in -D (ignored)"]
        assert conf.raw() == {}

    def test_invalid_dynamic_names_source(self) -> None:
        with pytest.raises(ConfigurationError) as err:
            load_configuration(None, ["rest.port=abc"])
        assert str(err.value) == "invalid value 'abc' for 'rest.port' in -D: expected an integer"

    def test_no_conf_dir_gives_defaults(self) -> None:
        conf = load_configuration(None)
        assert conf.raw() == {}
        assert conf.get(options.JOBMANAGER_RPC_PORT) == 6123
        assert conf.get(options.EXECUTION_BUFFER_TIMEOUT) == 100

    def test_conf_dir_without_file_gives_defaults(self, tmp_path: Path) -> None:
        assert load_configuration(tmp_path).raw() == {}

    def test_deprecated_key_maps_to_current(self, tmp_path: Path) -> None:
        write_conf(tmp_path, "web.port = 9999\n")
        warnings = Collector()
        conf = load_configuration(tmp_path, warn=warnings)
        assert conf.get(options.REST_PORT) == 9999
        assert "deprecated" in warnings.messages[0] and "rest.port" in warnings.messages[0]

    def test_high_availability_type(self) -> None:
        assert load_configuration(None, ["high-availability.type=standalone"]).get(
            options.HIGH_AVAILABILITY_TYPE
        ) == "NONE"
        with pytest.raises(ConfigurationError, match="only NONE"):
            load_configuration(None, ["high-availability.type=zookeeper"])

    def test_execution_target_choices(self) -> None:
        assert load_configuration(None, ["execution.target=LOCAL"]).get(options.EXECUTION_TARGET) == "local"
        with pytest.raises(ConfigurationError, match="remote, local"):
            load_configuration(None, ["execution.target=yarn"])


# --------------------------------------------------------------------------
# option parsing
# --------------------------------------------------------------------------


def opt(type_: str) -> ConfigOption:
    return ConfigOption("test.key", type_, None, "a test option")


class TestParse:
    @pytest.mark.parametrize(
        ("raw", "ms"),
        [
            (250, 250),
            ("500", 500),
            ("100 ms", 100),
            ("100ms", 100),
            ("10 s", 10_000),
            ("10s", 10_000),
            ("1 min", 60_000),
            ("2 h", 7_200_000),
            ("1 d", 86_400_000),
            ("1.5 s", 1500),
            ("3 seconds", 3000),
            (" 7 MS ", 7),
        ],
    )
    def test_durations(self, raw: object, ms: int) -> None:
        assert opt("duration").parse(raw, "t") == ms

    @pytest.mark.parametrize("raw", ["", "ten s", "10 lightyears", "-5", True, 1.5, "1.5 ms"])
    def test_bad_durations(self, raw: object) -> None:
        with pytest.raises(ConfigurationError, match="expected a duration"):
            opt("duration").parse(raw, "t")

    @pytest.mark.parametrize(
        ("raw", "n"),
        [
            (4096, 4096),
            ("100b", 100),
            ("1024 kb", 1 << 20),
            ("64 mb", 64 << 20),
            ("512m", 512 << 20),
            ("1g", 1 << 30),
            ("2 GB", 2 << 30),
            ("123", 123),
        ],
    )
    def test_memory(self, raw: object, n: int) -> None:
        assert opt("memory").parse(raw, "t") == n

    @pytest.mark.parametrize("raw", ["lots", "1 zb", False, "-1 mb"])
    def test_bad_memory(self, raw: object) -> None:
        with pytest.raises(ConfigurationError, match="expected a memory size"):
            opt("memory").parse(raw, "t")

    def test_int(self) -> None:
        assert opt("int").parse(5, "t") == 5
        assert opt("int").parse("42", "t") == 42
        assert opt("int").parse("-3", "t") == -3
        for bad in (True, "4.0", 4.0, "x"):
            with pytest.raises(ConfigurationError):
                opt("int").parse(bad, "t")

    def test_float_bool_str(self) -> None:
        assert opt("float").parse("2.5", "t") == 2.5
        assert opt("float").parse(3, "t") == 3.0
        assert opt("bool").parse("TRUE", "t") is True
        assert opt("bool").parse("False", "t") is False
        assert opt("bool").parse(True, "t") is True
        assert opt("str").parse("x", "t") == "x"
        with pytest.raises(ConfigurationError):
            opt("bool").parse("yes", "t")
        with pytest.raises(ConfigurationError):
            opt("float").parse(True, "t")

    def test_error_message_format(self) -> None:
        with pytest.raises(ConfigurationError) as err:
            options.REST_PORT.parse("abc", "/x/conf/flink-conf.toml")
        assert str(err.value) == "invalid value 'abc' for 'rest.port' in /x/conf/flink-conf.toml: expected an integer"

    def test_port_range(self) -> None:
        with pytest.raises(ConfigurationError, match="between 0 and 65535"):
            options.REST_PORT.parse(70000, "t")

    def test_computed_defaults(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        assert options.TASKMANAGER_COUNT.default_value() == (os.cpu_count() or 1)
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        log_dir = Path(options.ENV_LOG_DIR.default_value())
        assert log_dir.parent.parent == tmp_path
        assert log_dir.parent.name.startswith("pyflink-") and log_dir.name == "log"
        assert Path(options.ENV_PID_DIR.default_value()).name == "pid"
        assert Path(options.HIGH_AVAILABILITY_STORAGE_DIR.default_value()).name == "ha"

    def test_defaults_parse_as_their_own_type(self) -> None:
        for option in ALL_OPTIONS.values():
            value = option.default_value()
            assert option.parse(value, "default") == value or option.key == "high-availability.type"


# --------------------------------------------------------------------------
# rendering and the shipped conf
# --------------------------------------------------------------------------


class TestRendering:
    def test_rendered_default_is_valid_and_empty(self, tmp_path: Path) -> None:
        write_conf(tmp_path, default_conf_toml())
        warnings = Collector()
        assert load_configuration(tmp_path, warn=warnings).raw() == {}
        assert warnings.messages == []

    def test_uncommented_defaults_parse_back(self, tmp_path: Path) -> None:
        """Every commented-out `# key = value` line is valid TOML with the default."""
        lines = []
        for line in default_conf_toml().splitlines():
            body = line[2:] if line.startswith("# ") else ""
            if body.split(" = ", 1)[0] in ALL_OPTIONS:
                lines.append(body)
        assert len(lines) == len(ALL_OPTIONS)
        write_conf(tmp_path, "\n".join(lines) + "\n")
        conf = load_configuration(tmp_path, warn=Collector())
        for option in ALL_OPTIONS.values():
            if not option.has_computed_default:
                assert conf.get(option) == option.default_value(), option.key

    def test_shipped_conf_loads_without_warnings(self) -> None:
        conf_dir = REPO / "conf"
        warnings = Collector()
        conf = load_configuration(conf_dir, warn=warnings)
        assert warnings.messages == []
        assert conf.get(options.JOBMANAGER_RPC_ADDRESS) == "localhost"
        assert conf.get(options.JOBMANAGER_RPC_PORT) == 6123
        assert conf.get(options.REST_PORT) == 8081
        assert conf.get(options.TASKMANAGER_NUM_TASK_SLOTS) == 1
        assert conf.get(options.PARALLELISM_DEFAULT) == 1
        assert set(conf.raw()) == {
            "jobmanager.rpc.address",
            "jobmanager.rpc.port",
            "rest.port",
            "taskmanager.numberOfTaskSlots",
            "parallelism.default",
        }

    def test_shipped_conf_mentions_every_key(self) -> None:
        text = (REPO / "conf" / CONF_FILE_NAME).read_text(encoding="utf-8")
        missing = [key for key in ALL_OPTIONS if f"{key} = " not in text]
        assert missing == []

    def test_shipped_conf_is_up_to_date(self) -> None:
        text = (REPO / "conf" / CONF_FILE_NAME).read_text(encoding="utf-8")
        assert text == shipped_conf_toml(), "run python scripts/gen-conf.py"

    def test_computed_default_documented(self) -> None:
        text = default_conf_toml()
        assert "# default: number of CPU cores" in text


# --------------------------------------------------------------------------
# Configuration (PyFlink API)
# --------------------------------------------------------------------------


class TestConfiguration:
    def test_string_integer_boolean_float(self) -> None:
        conf = Configuration()
        assert conf.set_string("a", "x") is conf
        conf.set_integer("b", 3).set_boolean("c", True).set_float("d", 1.5)
        assert conf.get_string("a", "") == "x"
        assert conf.get_integer("b", 0) == 3
        assert conf.get_boolean("c", False) is True
        assert conf.get_float("d", 0.0) == 1.5
        assert conf.get_string("missing", "dflt") == "dflt"
        assert conf.get_integer("missing", 7) == 7

    def test_getters_convert_strings(self) -> None:
        conf = Configuration().set_string("i", "12").set_string("b", "TRUE").set_string("f", "0.25")
        assert conf.get_integer("i", 0) == 12
        assert conf.get_boolean("b", False) is True
        assert conf.get_float("f", 0.0) == 0.25
        assert Configuration().set_boolean("b", False).get_string("b", "") == "false"
        with pytest.raises(ConfigurationError, match="'i'"):
            Configuration().set_string("i", "nope").get_integer("i", 0)

    def test_keys_contains_remove(self) -> None:
        conf = Configuration().set_string("a", "1").set_integer("b", 2)
        assert conf.get_keys() == conf.keys() == {"a", "b"}
        assert conf.contains_key("a") and "a" in conf
        assert conf.remove_config("a") is True
        assert conf.remove_config("a") is False
        assert not conf.contains_key("a")

    def test_copy_add_all_to_dict_eq(self) -> None:
        base = Configuration().set_integer("x", 1)
        copy = Configuration(base)
        assert copy == base and copy is not base
        copy.set_integer("y", 2)
        assert copy != base
        merged = Configuration().add_all(copy, prefix="p.")
        assert merged.to_dict() == {"p.x": "1", "p.y": "2"}
        assert Configuration().add_all(copy).to_dict() == {"x": "1", "y": "2"}
        assert "x" in repr(base) and repr(base).startswith("Configuration(")

    def test_typed_get_and_set(self) -> None:
        conf = Configuration()
        assert conf.get(options.HEARTBEAT_TIMEOUT) == 50_000
        conf.set(options.HEARTBEAT_TIMEOUT, "5 s")
        assert conf.get(options.HEARTBEAT_TIMEOUT) == 5000
        assert conf.raw() == {"heartbeat.timeout": "5 s"}
        conf.set("rest.port", "8082")
        assert conf.get(options.REST_PORT) == 8082
        assert conf.get_integer("rest.port", 0) == 8082
        conf.set(options.REST_PORT, "bad")
        with pytest.raises(ConfigurationError, match="rest.port"):
            conf.get(options.REST_PORT)

    def test_deprecated_key_read_through_get(self) -> None:
        conf = Configuration().set_integer("web.port", 1)
        assert conf.get(options.REST_PORT) == 1
