"""`pulse serve` as a process: the listening line, flags and environment, health, graceful SIGTERM."""
import os
import re
import resource
import select
import signal
import socket
import subprocess
import threading
import time

import grpc
import psutil
import pytest

from conftest import pulse_binary

LISTENING = re.compile(r"^listening on (\S+):(\d+)$")


def identity(b):
    return b


def start_serve(*args, env=None, preexec_fn=None):
    """Starts `pulse serve ARGS`, waits for its listening line, returns (process, port)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    process = subprocess.Popen(
        [str(pulse_binary()), "serve", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        preexec_fn=preexec_fn,
    )
    ready, _, _ = select.select([process.stdout], [], [], 30)
    if not ready:
        process.kill()
        pytest.fail("pulse serve printed nothing within 30 s")
    line = process.stdout.readline().strip()
    match = LISTENING.match(line)
    if not match:
        process.kill()
        pytest.fail(f"unexpected first line {line!r}; stderr: {process.stderr.read()}")
    return process, int(match.group(2))


def stop(process, sig=signal.SIGTERM, timeout=20):
    process.send_signal(sig)
    try:
        return process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()


def health_check(port, service=""):
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check", request_serializer=identity, response_deserializer=identity
        )
        request = b"" if not service else b"\x0a" + bytes([len(service)]) + service.encode()
        return check(request, timeout=5)


def test_prints_listening_line_serves_health_and_exits_0_on_sigterm():
    process, port = start_serve("--port", "0")
    assert port > 0
    assert health_check(port) == b"\x08\x01"  # SERVING
    assert health_check(port, "pulse.v1.Diagnostics") == b"\x08\x01"
    assert stop(process) == 0


def test_sigint_also_exits_0():
    process, port = start_serve("--port", "0")
    assert health_check(port) == b"\x08\x01"
    assert stop(process, signal.SIGINT) == 0


def test_environment_configures_and_flags_win():
    process, port = start_serve(env={"PULSE_PORT": "0", "PULSE_HOST": "127.0.0.1", "PULSE_LOOPS": "1"})
    assert health_check(port) == b"\x08\x01"
    assert stop(process) == 0
    # A bad environment value is a usage error (exit 2) ...
    result = subprocess.run(
        [str(pulse_binary()), "serve", "--port", "0"],
        env={**os.environ, "PULSE_LOOPS": "many"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "PULSE_LOOPS" in result.stderr
    # ... unless the flag overrides it.
    process, port = start_serve("--port", "0", "--loops", "1", env={"PULSE_LOOPS": "many"})
    assert health_check(port) == b"\x08\x01"
    assert stop(process) == 0


def test_bad_flag_values_exit_2():
    for args in (["--port", "70000"], ["--log-level", "loud"], ["--grace-period", "-1"]):
        result = subprocess.run(
            [str(pulse_binary()), "serve", *args], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 2, (args, result.stderr)


def test_port_in_use_fails_with_message():
    process, port = start_serve("--port", "0")
    try:
        result = subprocess.run(
            [str(pulse_binary()), "serve", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode != 0
        assert str(port) in result.stderr
    finally:
        assert stop(process) == 0


def test_debug_log_has_connection_events_on_stderr():
    process, port = start_serve("--port", "0", "--log-level", "debug")
    health_check(port)
    time.sleep(0.3)
    assert stop(process) == 0
    err = process.stderr.read()
    assert "connection accepted" in err
    assert "connection closed" in err


def test_sigterm_lets_in_flight_call_finish():
    process, port = start_serve("--port", "0", "--grace-period", "5")
    result = {}

    def slow_echo():
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary(
                "/pulse.v1.Diagnostics/Echo", request_serializer=identity, response_deserializer=identity
            )
            # EchoRequest{payload: "abc", delay_ms: 800}
            result["response"] = echo(b"\x0a\x03abc\x10\xa0\x06", timeout=10)

    thread = threading.Thread(target=slow_echo)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert stop(process) == 0
    thread.join(timeout=10)
    assert result.get("response") == b"\x0a\x03abc"
    assert time.monotonic() - started < 5


def test_sigterm_ends_calls_past_grace_with_unavailable():
    process, port = start_serve("--port", "0", "--grace-period", "0.5")
    outcome = {}

    def hanging_echo():
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary(
                "/pulse.v1.Diagnostics/Echo", request_serializer=identity, response_deserializer=identity
            )
            try:
                echo(b"\x10\xb0\xea\x01", timeout=30)  # delay_ms: 30000
                outcome["code"] = grpc.StatusCode.OK
            except grpc.RpcError as error:
                outcome["code"] = error.code()

    thread = threading.Thread(target=hanging_echo)
    thread.start()
    time.sleep(0.3)
    assert stop(process) == 0
    thread.join(timeout=10)
    assert outcome.get("code") == grpc.StatusCode.UNAVAILABLE


def test_health_watch_sees_not_serving_then_unavailable_on_sigterm():
    process, port = start_serve("--port", "0", "--grace-period", "5")
    seen = []
    outcome = {}

    def watch():
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stream = channel.unary_stream(
                "/grpc.health.v1.Health/Watch", request_serializer=identity, response_deserializer=identity
            )
            try:
                for message in stream(b"", timeout=15):
                    seen.append(message)
                outcome["code"] = grpc.StatusCode.OK
            except grpc.RpcError as error:
                outcome["code"] = error.code()

    thread = threading.Thread(target=watch)
    thread.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    assert stop(process) == 0
    thread.join(timeout=10)
    assert seen == [b"\x08\x01", b"\x08\x02"]  # SERVING, then NOT_SERVING at shutdown
    assert outcome.get("code") == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started < 5  # watches end at once, not after the grace period


def test_running_out_of_descriptors_does_not_spin_and_recovers():
    def few_descriptors():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    process, port = start_serve("--port", "0", preexec_fn=few_descriptors)
    sockets = []
    try:
        for _ in range(100):  # more than the server can accept
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        watched = psutil.Process(process.pid)
        watched.cpu_percent()
        time.sleep(1.0)
        assert watched.cpu_percent() < 50  # paused accepting instead of spinning on EMFILE
        for sock in sockets:
            sock.close()
        sockets.clear()
        time.sleep(0.5)
        assert health_check(port) == b"\x08\x01"
    finally:
        for sock in sockets:
            sock.close()
        assert stop(process) == 0
