"""The RPC layer over real ZeroMQ sockets: calls, fencing, timeouts, malformed frames, and the
standalone leader election's rules."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import zmq

from runtime.highavailability.leader_election import DEFAULT_LEADER_ID, LeaderElectionError, StandaloneLeaderElection
from runtime.rpc.client import SyncRpcClient
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.errors import FencingTokenError, RpcError, RpcTimeout
from runtime.rpc.service import RpcService


class Echo(RpcEndpoint):
    fencing_token = "token-1"

    @rpc
    def echo(self, value, suffix=""):
        return f"{value}{suffix}"

    @rpc
    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "late"

    def not_exposed(self):
        return "secret"


def run_server(test):
    async def main():
        service = RpcService(default_timeout=2.0)
        address = service.bind("tcp://127.0.0.1:*")
        endpoint = Echo(service, "echo")
        await endpoint.start()
        try:
            return await asyncio.get_running_loop().run_in_executor(None, test, address)
        finally:
            await endpoint.stop()
            await service.close()
    return asyncio.run(main())


def test_call_fencing_unknown_method_and_timeout():
    def test(address):
        with SyncRpcClient(address, timeout=2.0) as client:
            assert client.call("echo", "echo", "a", suffix="!", token="token-1") == "a!"
            with pytest.raises(FencingTokenError):
                client.call("echo", "echo", "a", token="stale")
            with pytest.raises(RpcError, match="no RPC method"):
                client.call("echo", "not_exposed", token="token-1")
            with pytest.raises(RpcError, match="no endpoint"):
                client.call("nobody", "echo", "a")
            with pytest.raises(RpcTimeout):
                client.call("echo", "slow", 0.5, token="token-1", timeout=0.1)
            # the late reply of the timed-out call is dropped, not handed to the next call
            assert client.call("echo", "echo", "b", token="token-1", timeout=2.0) == "b"
        return True
    assert run_server(test)


def test_malformed_frames_are_dropped_and_the_server_keeps_serving():
    def test(address):
        ctx = zmq.Context.instance()
        raw = ctx.socket(zmq.DEALER)
        raw.setsockopt(zmq.LINGER, 0)
        raw.connect(address)
        for junk in ([b"\x00\xff garbage"], [b"a", b"b", b"c"], [b""], [b"\x93\x01\x02\x03"]):
            raw.send_multipart(junk)
        raw.close(0)
        with SyncRpcClient(address, timeout=2.0) as client:
            return client.call("echo", "echo", "still alive", token="token-1")
    assert run_server(test) == "still alive"


_DROPPED_CLIENTS = r"""
import os, sys
from runtime.rpc.client import SyncRpcClient
from runtime.rpc.errors import RpcTimeout
address = sys.argv[1]
for round in range(20):
    for _ in range(50):
        SyncRpcClient(address)  # never closed: garbage at once, its handshake still under way
    with SyncRpcClient(address, timeout=5.0) as client:
        try:
            client.call("echo", "echo", "x", token="token-1")
        except RpcTimeout:
            print(f"no answer after {(round + 1) * 50} dropped clients", flush=True)
            os._exit(1)
print("answered", flush=True)
os._exit(0)  # a blocked ZeroMQ I/O thread would also block the context's termination at exit
"""


def test_clients_dropped_without_close_do_not_stop_later_calls():
    """A SyncRpcClient left to the garbage collector stops its socket monitor before its sockets
    close; otherwise libzmq's I/O thread blocks on the next monitor event and no socket of the
    process's context answers again (without that, this fails within the first few rounds).
    In a child process: a blocked I/O thread must not take the test process's context along."""
    def test(address):
        return subprocess.run([sys.executable, "-c", _DROPPED_CLIENTS, address], capture_output=True, text=True,
                              timeout=120)
    proc = run_server(test)
    assert proc.returncode == 0 and proc.stdout.strip() == "answered", (proc.stdout, proc.stderr[-2000:])


def test_standalone_election_grants_a_random_session_id_at_once_and_only_once():
    class Contender:
        def __init__(self):
            self.granted = None

        async def grant_leadership(self, session_id):
            self.granted = session_id

        async def revoke_leadership(self):
            self.granted = None

    async def main():
        election = StandaloneLeaderElection("resource_manager")
        contender = Contender()
        await election.start(contender)
        # a random session id per grant (not Flink's constant), so a restarted JobManager
        # refuses tokens meant for the previous one
        granted = contender.granted
        assert granted is not None and granted != DEFAULT_LEADER_ID
        assert election.has_leadership(granted) and not election.has_leadership(DEFAULT_LEADER_ID)
        other = Contender()
        await StandaloneLeaderElection("resource_manager").start(other)
        assert other.granted not in (None, granted)
        with pytest.raises(LeaderElectionError):
            await election.start(Contender())
        await election.close()
        assert contender.granted is None
    asyncio.run(main())
