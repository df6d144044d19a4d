"""Forks local TaskManager processes, notices at once when one exits, and replaces it.

Flink's standalone scripts start TaskManagers next to the JobManager; here the
ResourceManager does it itself so that a dead child is seen through its exit status at
once, not only after a heartbeat timeout, and so that the cluster keeps
``taskmanager.count`` TaskManagers: one that died (killed, or ended itself because a task
would not stop) is started again, at once if it had been running for 2 s, after a growing
pause (0.5 s doubling to 10 s) if TaskManagers keep dying right after their start.

A child gets the JobManager's ``-D`` properties through a pipe (``PropertiesPipe``), not on
its command line, so secrets among them never show in ``ps``; it reads the cluster's keys
from ``security.internal.keys-dir`` itself.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.resourcemanager.task_manager_process import EarlyTaskManager, task_manager_command
from runtime.util.process_utils import PropertiesPipe

log = logging.getLogger(__name__)

#: a TaskManager that ran this long before it died is replaced at once (one that dies sooner
#: is likely to die again: bad configuration, a broken environment)
RESTART_STABLE_AFTER = 2.0
RESTART_MAX_DELAY = 10.0


class _AdoptedProcess:
    """A TaskManager forked with ``subprocess.Popen`` before the event loop ran, with the
    part of ``asyncio.subprocess.Process`` the launcher uses: a thread waits for its exit."""

    def __init__(self, popen: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._popen = popen
        self.pid: int = popen.pid
        self._exited: asyncio.Future[int] = loop.create_future()
        threading.Thread(target=self._wait, args=(loop,), name=f"taskmanager-{self.pid}-exit", daemon=True).start()

    def _wait(self, loop: asyncio.AbstractEventLoop) -> None:
        code = self._popen.wait()
        try:
            loop.call_soon_threadsafe(self._set_exited, code)
        except RuntimeError:  # the loop is closed: the JobManager is exiting
            pass

    def _set_exited(self, code: int) -> None:
        if not self._exited.done():
            self._exited.set_result(code)

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)


@dataclass
class LaunchedTaskManager:
    number: int
    process: Any  # asyncio.subprocess.Process, or _AdoptedProcess
    log_file: Path
    out_file: Path
    started: float = 0.0


class TaskManagerLauncher:
    def __init__(self, jobmanager_address: str, conf_dir: str | None, dynamic: list[str], log_dir: Path,
                 on_exit: Callable[[int, int], Awaitable[None] | None]) -> None:
        self.jobmanager_address = jobmanager_address
        self.conf_dir = conf_dir
        self.dynamic = dynamic
        self.log_dir = log_dir
        self.on_exit = on_exit
        self.children: dict[int, LaunchedTaskManager] = {}
        self._watchers: set[asyncio.Task] = set()
        self._counter = 0
        self.stopping = False
        self._restart_delay = 0.0

    async def launch(self, count: int) -> list[int]:
        procs = await asyncio.gather(*(self._launch_one() for _ in range(count)))
        return [p.process.pid for p in procs]

    def adopt(self, early: list[EarlyTaskManager]) -> list[int]:
        """Watch TaskManagers forked before the event loop ran (in the running loop)."""
        loop = asyncio.get_running_loop()
        for child in early:
            child.adopted = True
            self._counter = max(self._counter, child.number)
            self._track(LaunchedTaskManager(child.number, _AdoptedProcess(child.popen, loop), child.log_file,
                                            child.out_file, child.started))
        return [child.popen.pid for child in early]

    async def _launch_one(self) -> LaunchedTaskManager:
        self._counter += 1
        n = self._counter
        command = task_manager_command(n, self.jobmanager_address, self.conf_dir, self.log_dir)
        properties = PropertiesPipe(self.dynamic)
        out = open(command.out_file, "ab")
        try:
            proc = await asyncio.create_subprocess_exec(*command.args, *properties.args,
                                                        stdin=asyncio.subprocess.DEVNULL, stdout=out,
                                                        stderr=asyncio.subprocess.STDOUT, env=command.env,
                                                        start_new_session=True, pass_fds=properties.pass_fds)
        except BaseException:
            properties.close()
            raise
        finally:
            out.close()
        properties.send()
        return self._track(LaunchedTaskManager(n, proc, command.log_file, command.out_file, time.monotonic()))

    def _track(self, tm: LaunchedTaskManager) -> LaunchedTaskManager:
        self.children[tm.process.pid] = tm
        task = asyncio.get_running_loop().create_task(self._watch(tm))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)
        log.info("started TaskManager %d (pid %d), logs in %s", tm.number, tm.process.pid, tm.log_file)
        return tm

    async def _watch(self, tm: LaunchedTaskManager) -> None:
        code = await tm.process.wait()
        self.children.pop(tm.process.pid, None)
        if not self.stopping:
            log.warning("TaskManager %d (pid %d) exited with code %s", tm.number, tm.process.pid, code)
        result = self.on_exit(tm.process.pid, code)
        if asyncio.iscoroutine(result):
            await result
        if not self.stopping:
            await self._replace(tm)

    async def _replace(self, dead: LaunchedTaskManager) -> None:
        lived = time.monotonic() - dead.started
        if lived > RESTART_STABLE_AFTER:
            self._restart_delay = 0.0
        else:  # dying right after start: back off (0.5 s, 1 s, 2 s, ... up to 10 s)
            self._restart_delay = min(max(0.5, self._restart_delay * 2), RESTART_MAX_DELAY)
        if self._restart_delay:
            log.info("starting a TaskManager in place of TaskManager %d in %.1f s", dead.number, self._restart_delay)
            await asyncio.sleep(self._restart_delay)
        if self.stopping:
            return
        try:
            new = await self._launch_one()
            log.info("started TaskManager %d (pid %d) in place of TaskManager %d", new.number, new.process.pid,
                     dead.number)
        except Exception:
            log.exception("could not start a TaskManager in place of TaskManager %d", dead.number)

    def kill(self, pid: int) -> bool:
        """SIGKILL a forked TaskManager that no longer answers (its exit is then seen and it is
        replaced as usual). Only ever our own children, by pid."""
        tm = self.children.get(pid)
        if tm is None or tm.process.returncode is not None:
            return False
        log.warning("killing unresponsive TaskManager %d (pid %d)", tm.number, pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    async def stop_all(self, timeout: float = 3.0) -> None:
        """Wait for the children to exit after their shutdown RPC; escalate by pid if not."""
        self.stopping = True
        if not self.children:
            return
        procs = [tm.process for tm in self.children.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), timeout)
            return
        except asyncio.TimeoutError:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for p in procs:
                if p.returncode is None:
                    try:
                        os.kill(p.pid, sig)
                    except ProcessLookupError:
                        pass
            try:
                await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), 2.0)
                return
            except asyncio.TimeoutError:
                continue
