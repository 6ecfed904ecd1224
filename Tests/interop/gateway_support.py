"""`pulse gateway` as a test peer: started on a free port, stopped with SIGTERM."""
import json
import selectors
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from conftest import pulse_binary


class Gateway:
    """`pulse gateway --port 0 --upstream ADDRESS`, ready once it prints `gateway listening on HOST:PORT`."""

    def __init__(self, upstream, *extra):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([str(pulse_binary()), "gateway", "--port", "0", "--upstream", upstream,
                                         *extra],
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            if selector.select(timeout=0.2):
                line = self.process.stdout.readline()
                if line.startswith("gateway listening on "):
                    self.address = line.removeprefix("gateway listening on ").strip()
                    return
        self.process.kill()
        self.stderr.seek(0)
        raise RuntimeError(f"pulse gateway did not print its address: {self.stderr.read()[-3000:]}")

    def request(self, method, path, body=None, headers=None):
        request = urllib.request.Request(f"http://{self.address}{path}", data=body, method=method,
                                         headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get_json(self, path):
        status, headers, body = self.request("GET", path)
        return status, headers, json.loads(body)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)
