"""Running `pulse lambda` as Lambda would: fake_lambda_runtime.py as a process, invocations queued through its
control endpoints and their outcomes read back."""
import json
import subprocess
import time
import urllib.request

from conftest import REPO


class Runtime:
    """fake_lambda_runtime.py on a free port."""

    def __init__(self, tmp_path):
        port_file = tmp_path / "runtime-port"
        self.process = subprocess.Popen(["python3", str(REPO / "Tests/interop/fake_lambda_runtime.py"),
                                         "--port", "0", "--port-file", str(port_file)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.address = f"127.0.0.1:{port_file.read_text()}"
        self.count = 0

    def outcome(self, event, timeout=60, trace=None):
        """Queues one invocation (with X-Ray's trace header, if given) and waits for its outcome:
        {"id", "kind", "body", "error_type"}."""
        self.count += 1
        request_id = f"req-{self.count}"
        invocation = {"id": request_id, "payload": json.dumps(event), "deadline_in_ms": 60000}
        if trace:
            invocation["trace"] = trace
        body = json.dumps(invocation).encode()
        urllib.request.urlopen(urllib.request.Request(f"http://{self.address}/__enqueue", data=body), timeout=10)
        with urllib.request.urlopen(f"http://{self.address}/__results?count={self.count}&wait={timeout}",
                                    timeout=timeout + 10) as answer:
            results = json.loads(answer.read())
        return next(r for r in results if r["id"] == request_id)

    def invoke(self, event, timeout=60, trace=None):
        """The response of one invocation (failing the test on an invocation error)."""
        outcome = self.outcome(event, timeout, trace)
        assert outcome["kind"] == "response", outcome
        return json.loads(outcome["body"])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
