"""Starts a server process that announces `listening on HOST:PORT`, and watches its memory.

Used by the grpcio interop suite and the hostile-peer suite for `pulse serve --port 0`, and by the
reverse interop direction for grpc_peer_server.py.
"""
import os
import selectors
import signal
import subprocess
import tempfile
import time

import psutil


class ServeProcess:
    """A running server: `host`, `port`, `address` ("HOST:PORT") and its `rss()` in bytes."""

    def __init__(self, argv, ready_timeout=30.0, env=None):
        self.argv = [str(a) for a in argv]
        # A file, not a pipe: a chatty server must never block on a full stderr pipe.
        self.stderr_file = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            text=True,
            env={**os.environ, **(env or {})},
        )
        line = self._read_listening_line(ready_timeout)
        self.address = line.removeprefix("listening on ").strip()
        self.host, _, port = self.address.rpartition(":")
        self.port = int(port)
        self.ps = psutil.Process(self.process.pid)

    def _read_listening_line(self, timeout):
        deadline = time.monotonic() + timeout
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                line = self.process.stdout.readline()
                if line.startswith("listening on "):
                    return line
                if line == "":
                    break
            if self.process.poll() is not None:
                break
        self.kill()
        stderr = self.stderr_tail()
        raise RuntimeError(f"{' '.join(self.argv)} did not print `listening on HOST:PORT`; stderr:\n{stderr[-4000:]}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def open_fds(self) -> int:
        return self.ps.num_fds()

    def terminate(self, timeout=15.0) -> int:
        """SIGTERM, then wait; returns the exit status (SIGKILL after `timeout`)."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.wait()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stderr_tail(self, limit=4000) -> str:
        """The last `limit` characters the process wrote to standard error."""
        self.stderr_file.flush()
        self.stderr_file.seek(0)
        return self.stderr_file.read()[-limit:]
