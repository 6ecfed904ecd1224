"""TLS on `pulse serve --tls-cert/--tls-key`, seen by grpcio's own TLS (BoringSSL in grpcio, not our OpenSSL code).

Certificates come from the `openssl` command line at test time: a test CA and a `localhost` certificate it signs.
Covers calls and streams over TLS, a certificate reload on SIGHUP while calls keep flowing on the open connection,
and plaintext HTTP/2 sent to the TLS port being refused without harming the server.
"""
import shutil
import signal
import socket
import subprocess
import threading
import time

import grpc
import pytest

from conftest import pulse_binary
from pki_support import make_pki
from serve_process import ServeProcess

IDENTITY = dict(request_serializer=lambda b: b, response_deserializer=lambda b: b)
HEALTH = "/grpc.health.v1.Health/Check"
ECHO = "/pulse.v1.Diagnostics/Echo"
STREAM = "/pulse.v1.Diagnostics/Stream"


@pytest.fixture()
def pki(tmp_path):
    first = make_pki(tmp_path, "first")
    second = make_pki(tmp_path, "second")
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(first[1], live_cert)
    shutil.copy(first[2], live_key)
    return {"first_ca": first[0], "second": second, "cert": live_cert, "key": live_key}


@pytest.fixture()
def server(pki):
    process = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none", "--tls-cert", pki["cert"],
                            "--tls-key", pki["key"]], env={"PULSE_AUTH": ""})
    yield process
    process.terminate()


def secure(port, ca):
    credentials = grpc.ssl_channel_credentials(root_certificates=ca.read_bytes())
    return grpc.secure_channel(f"localhost:{port}", credentials)


def test_grpcio_calls_and_streams_over_tls(server, pki):
    with secure(server.port, pki["first_ca"]) as channel:
        assert channel.unary_unary(HEALTH, **IDENTITY)(b"", timeout=10) == b"\x08\x01"
        payload = bytes(range(256)) * 400
        body = b"\x0a" + _varint(len(payload)) + payload  # EchoRequest{payload}
        assert channel.unary_unary(ECHO, **IDENTITY)(body, timeout=10) == body
        items = list(channel.unary_stream(STREAM, **IDENTITY)(b"\x08" + _varint(200), timeout=30))
        assert len(items) == 200


def test_a_ca_that_did_not_sign_the_certificate_is_refused(server, pki):
    with secure(server.port, pki["second"][0]) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            channel.unary_unary(HEALTH, **IDENTITY)(b"", timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_sighup_reloads_the_certificate_without_dropping_connections(server, pki):
    errors, done = [], threading.Event()
    calls = [0]
    with secure(server.port, pki["first_ca"]) as old:
        echo = old.unary_unary(ECHO, **IDENTITY)
        assert echo(b"", timeout=10) == b""
        # A stream that spans the reload: 40 items, 50 ms apart.
        stream = old.unary_stream(STREAM, **IDENTITY)(bytes([0x08, 40, 0x18, 50]), timeout=60)

        def load():
            while not done.is_set():
                try:
                    echo(b"\x0a\x03abc", timeout=10)
                    calls[0] += 1
                except grpc.RpcError as error:  # any failure on the open connection is a dropped connection
                    errors.append(error)

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(0.3)
        shutil.copy(pki["second"][1], pki["cert"])
        shutil.copy(pki["second"][2], pki["key"])
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "TLS certificate reloaded" not in server.stderr_tail() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "TLS certificate reloaded" in server.stderr_tail()
        # New connections get the new certificate: trusted through the second CA only.
        with secure(server.port, pki["second"][0]) as fresh:
            assert fresh.unary_unary(HEALTH, **IDENTITY)(b"", timeout=10) == b"\x08\x01"
        with secure(server.port, pki["first_ca"]) as stale:
            with pytest.raises(grpc.RpcError):
                stale.unary_unary(HEALTH, **IDENTITY)(b"", timeout=5)
        items = list(stream)  # the stream opened before the reload ends normally
        time.sleep(0.3)
        done.set()
        for worker in workers:
            worker.join()
    assert len(items) == 40
    assert errors == [] and calls[0] > 0, (errors[:3], calls)
    assert server.alive()


def test_a_bad_reload_keeps_the_previous_certificate(server, pki):
    pki["key"].write_text("not a key\n")
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "not reloaded" not in server.stderr_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "not reloaded" in server.stderr_tail()
    with secure(server.port, pki["first_ca"]) as channel:
        assert channel.unary_unary(HEALTH, **IDENTITY)(b"", timeout=10) == b"\x08\x01"


def test_plaintext_to_the_tls_port_is_refused_cleanly(server, pki):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"))
        received = b""
        while True:  # the server answers at most a TLS alert, then closes; nothing HTTP/2 comes back
            chunk = raw.recv(4096)
            if not chunk:
                break
            received += chunk
        assert len(received) < 64 and not received.startswith(b"\x00\x00"), received
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as plaintext:
        with pytest.raises(grpc.RpcError) as refused:
            plaintext.unary_unary(HEALTH, **IDENTITY)(b"", timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with secure(server.port, pki["first_ca"]) as channel:  # and the server serves TLS as before
        assert channel.unary_unary(HEALTH, **IDENTITY)(b"", timeout=10) == b"\x08\x01"
    assert server.alive()


def test_tls_flags_go_together_and_bad_files_are_usage_errors(tmp_path):
    from conftest import run_pulse

    alone = run_pulse("serve", "--port", "0", "--tls-cert", tmp_path / "x.pem")
    assert alone.returncode == 2 and "go together" in alone.stderr
    missing = run_pulse("serve", "--port", "0", "--tls-cert", tmp_path / "x.pem", "--tls-key", tmp_path / "x.key")
    assert missing.returncode == 2 and "x.pem" in missing.stderr


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
