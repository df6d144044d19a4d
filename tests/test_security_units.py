"""The pieces of issue 10 that need no cluster: which keys are secrets, data port ranges on
real sockets, the authorised-clients file, bounded logging, and who may call what."""
from __future__ import annotations

import logging

import pytest
from ports import free_port_range

from runtime.configuration import options as opts
from runtime.configuration.errors import ConfigurationError
from runtime.configuration.loader import load_configuration
from runtime.configuration.sensitive import is_sensitive, mask_dynamic
from runtime.io.network.network_environment import NetworkEnvironment
from runtime.security.access_policy import DEFAULT_POLICY
from runtime.security.errors import SecurityConfigurationError
from runtime.security.internal_keys import ensure_keys, load_keys, read_authorized_clients
from runtime.security.rate_limited_log import RateLimitedLog


@pytest.mark.parametrize("key", ["security.rest.token", "security.ssl.rest.key-password", "s3.secret-key",
                                 "fs.azure.account.key", "my.apikey", "x.basic-auth", "security.ssl.rest.private-key",
                                 "db.credentials"])
def test_secret_keys_are_recognised(key: str) -> None:
    assert is_sensitive(key)


@pytest.mark.parametrize("key", ["security.internal.keys-dir", "jobmanager.rpc.port", "taskmanager.host",
                                 "pipeline.name", "state.backend.type"])
def test_ordinary_keys_are_not_masked(key: str) -> None:
    assert not is_sensitive(key)


def test_dynamic_properties_and_errors_mask_secret_values(tmp_path) -> None:
    assert mask_dynamic(["a.password=hunter2", "rest.port=1"]) == ["a.password=******", "rest.port=1"]
    with pytest.raises(ConfigurationError) as err:
        load_configuration(None, {"security.internal.max-message-size": "lots"})
    assert "'lots'" in str(err.value)  # not a secret: shown
    (tmp_path / "flink-conf.toml").write_text("security.rest.token = 123456789\n")
    with pytest.raises(ConfigurationError) as err:
        load_configuration(tmp_path)
    assert "invalid value ****** for 'security.rest.token'" in str(err.value)
    assert "123456789" not in str(err.value)


def test_data_port_range_takes_the_first_free_port_and_reports_a_full_range() -> None:
    base = free_port_range(2)  # below the ephemeral range: no outgoing connection takes base + 1
    spec = opts.TASKMANAGER_DATA_PORT.parse(f"{base}-{base + 1}", "test")
    envs = []
    try:
        for i in range(2):
            env = NetworkEnvironment(f"tm-{i}", "127.0.0.1", spec)
            env.start()
            envs.append(env)
        assert sorted(int(e.address.rsplit(":", 1)[1]) for e in envs) == [base, base + 1]
        with pytest.raises(OSError, match=f"no free data port on 127.0.0.1 in {base},{base + 1}"):
            NetworkEnvironment("tm-2", "127.0.0.1", spec).start()
    finally:
        for env in envs:
            env.stop()


@pytest.mark.parametrize("value", ["50200-50100", "70000", "a-b", "", "0-5"])
def test_bad_port_ranges_are_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="taskmanager.data.port"):
        opts.TASKMANAGER_DATA_PORT.parse(value, "-D")


def test_authorized_clients_file(tmp_path) -> None:
    keys = tmp_path / "keys"
    assert ensure_keys(keys) and not ensure_keys(keys)
    authorized = read_authorized_clients(keys / "authorized_clients")
    assert sorted(authorized.values()) == ["client", "taskmanager"]
    jm = load_keys(keys, "jobmanager")
    assert jm.role_of(load_keys(keys, "client").own.public) == "client"
    (keys / "authorized_clients").write_text("# comment\nadmin AAAA\n")
    with pytest.raises(SecurityConfigurationError, match="line 2: expected 'ROLE KEY'"):
        load_keys(keys, "jobmanager")
    (keys / "authorized_clients").write_text("# nobody\n")
    with pytest.raises(SecurityConfigurationError, match="lists no keys"):
        load_keys(keys, "jobmanager")


def test_rate_limited_log_logs_once_per_key_and_bounds_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.ratelimit")
    limited = RateLimitedLog(logger, interval=60, burst=5)
    with caplog.at_level(logging.WARNING, "test.ratelimit"):
        for _ in range(100):
            limited.warning("peer-a", "bad frame from %s", "a")
        for i in range(100):
            limited.warning(f"peer-{i}", "bad frame from %s", i)
    assert len(caplog.records) == 5
    assert caplog.records[0].getMessage() == "bad frame from a"
    assert "(99 similar message(s) suppressed)" in caplog.records[1].getMessage()


@pytest.mark.parametrize("target,method,client,taskmanager", [
    ("dispatcher", "shutdown_cluster", True, False),
    ("dispatcher", "submit_job", True, False),
    ("resourcemanager", "register_task_executor", False, True),
    ("resourcemanager", "declare_resource_requirements", False, False),
    ("jobmaster-" + "ab" * 16, "update_task_execution_state", False, True),
    ("jobmaster-" + "ab" * 16, "cancel", False, False),
    ("blobserver", "get_job_archive", False, True),
    ("leaderretrieval", "get_leader_session_id", True, True),
    ("taskexecutor", "submit_task", False, False),
    ("jobmasterx", "offer_slots", False, False),
])
def test_access_policy(target: str, method: str, client: bool, taskmanager: bool) -> None:
    assert DEFAULT_POLICY.allows(target, method, "client") is client
    assert DEFAULT_POLICY.allows(target, method, "taskmanager") is taskmanager
    assert not DEFAULT_POLICY.allows(target, method, None)


def test_a_peer_flooding_the_pending_partition_requests_cannot_keep_another_peers_request_out() -> None:
    """The table of requests for partitions not produced yet is bounded; when it is full, the
    peer holding most of it loses its oldest request, so a real consumer's request still waits
    for its partition (it used to be refused, and the consumer waited for ever)."""
    import secrets
    import time

    import zmq

    from runtime.io.network.network_environment import PENDING_REQUEST_TTL

    env = NetworkEnvironment("tm-flooded", "127.0.0.1", 0, max_pending_requests=8)
    env.start()
    ctx = zmq.Context()
    try:
        flooder, consumer = ctx.socket(zmq.DEALER), ctx.socket(zmq.DEALER)
        for sock, name in ((flooder, b"flooder"), (consumer, b"consumer")):
            sock.setsockopt(zmq.IDENTITY, name)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(env.address)

        def partition() -> bytes:
            return f"{secrets.token_hex(16)}:{secrets.token_hex(16)}:0".encode()

        for i in range(50):
            flooder.send_multipart([b"R", b"f%d" % i, partition(), b"0", b"4"])
        deadline = time.monotonic() + 10
        while env.pending_requests < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        wanted = partition()
        consumer.send_multipart([b"R", b"c0", wanted, b"0", b"4"])
        while time.monotonic() < deadline:
            waiting = {key: value[0] for key, value in list(env._waiting.items())}
            if (b"consumer", b"c0") in waiting:
                break
            time.sleep(0.01)
        assert waiting.get((b"consumer", b"c0")) == wanted.decode(), waiting
        assert env.pending_requests == 8 and PENDING_REQUEST_TTL > 0
    finally:
        ctx.destroy(linger=0)
        env.stop()
