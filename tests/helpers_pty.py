"""Run a `pyflink` command on a pseudo-terminal (stdin, stdout and stderr all on it) and read
what a person at that terminal would see, to test the live status shown only on terminals."""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import threading
import time

from conftest import ClusterEnv, wait_until

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class PtyCommand:
    def __init__(self, env: ClusterEnv, *args: str) -> None:
        master, slave = pty.openpty()
        cmd = [sys.executable, "-m", "pyflink_cli", *args, "--conf-dir", str(env.conf_dir)]
        environ = dict(os.environ, PYTHONHASHSEED="0", TERM="xterm-256color", COLUMNS="160", LINES="40")
        environ.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, cwd=env.root, env=environ,
                                     close_fds=True)
        os.close(slave)
        self.master = master
        self._data = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the last writer closed the terminal
                    return
                if not chunk:
                    return
                with self._lock:
                    self._data += chunk
            elif self.proc.poll() is not None:
                return

    @property
    def raw(self) -> str:
        with self._lock:
            return self._data.decode("utf-8", "replace")

    @property
    def text(self) -> str:
        """What was written, without terminal control sequences."""
        return _ANSI.sub("", self.raw)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        found = wait_until(lambda: re.search(pattern, self.text), timeout, interval=0.05,
                           message=f"{pattern!r} on the terminal")
        assert isinstance(found, re.Match)
        return found

    def wait_exit(self, timeout: float = 60.0) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while self._reader.is_alive() and time.monotonic() < deadline:
            self._reader.join(0.1)
        try:
            os.close(self.master)
        except OSError:
            pass
