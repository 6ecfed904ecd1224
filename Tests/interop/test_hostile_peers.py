"""Hostile HTTP/2 peers against `pulse serve`: malformed frames and abusive patterns over raw sockets.

Frames are written byte by byte (headers HPACK-encoded with the `hpack` package that `h2` uses), so
the suite can send what a correct HTTP/2 stack refuses to. After each attack the test checks the
server's answer against RFC 9113 (or nghttp2's documented answer where Debian's patches decide it),
that a well-behaved grpcio client is still served, and that the server's memory stays bounded.
"""
import socket
import struct
import time

import grpc
import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
import pytest

from conftest import skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from serve_process import ServeProcess

MiB = 1 << 20
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FRAME_SIZE_ERROR = 0x0, 0x1, 0x2, 0x6
REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = 0x7, 0x8, 0xB


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def grpc_request_headers(path="/grpc.health.v1.Health/Check", extra=()):
    return [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
        *extra,
    ]


class RawPeer:
    """A TCP connection that speaks HTTP/2 one hand-made frame at a time."""

    def __init__(self, address, handshake=True):
        host, _, port = address.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.buffer = b""
        self.closed = False
        if handshake:
            self.send(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data: bytes):
        self.sock.sendall(data)

    def send_headers(self, stream, headers, end_stream=False):
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        self.send(frame(HEADERS, flags, stream, self.encoder.encode(headers)))

    def frames(self, timeout=5.0, until=None):
        """Reads frames until `until(frame)` is true, the peer closes, or `timeout` passes."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) < 9 + length:
                    break
                kind, flags = self.buffer[3], self.buffer[4]
                stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
                got = (kind, flags, stream, self.buffer[9 : 9 + length])
                self.buffer = self.buffer[9 + length :]
                if kind == SETTINGS and not flags & ACK:
                    try:
                        self.send(frame(SETTINGS, ACK, 0))
                    except OSError:
                        pass  # the server may already have hung up; what it sent is still read
                seen.append(got)
                if until and until(got):
                    return seen
            if self.closed:
                return seen
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
            self.buffer += chunk
        return seen

    def goaway(self, timeout=5.0):
        """The error code of the GOAWAY the server sends, or None if it closed/stayed silent without one."""
        for kind, _, _, payload in self.frames(timeout, until=lambda f: f[0] == GOAWAY):
            if kind == GOAWAY:
                return struct.unpack(">I", payload[4:8])[0]
        return None

    def wait_closed(self, timeout=5.0) -> bool:
        self.frames(timeout, until=lambda f: False)
        return self.closed

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    try:
        return compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")


def health_check(stubs, address):
    """One Health/Check("") by a stock grpcio client; returns the serving status."""
    with grpc.insecure_channel(address) as channel:
        request = stubs.health_pb2.HealthCheckRequest(service="")
        return stubs.health_pb2_grpc.HealthStub(channel).Check(request, timeout=10).status


@pytest.fixture(scope="module")
def server(pulse_bin):
    process = ServeProcess([pulse_bin, "serve", "--port", "0"])
    baseline = process.rss()
    yield process
    assert process.alive(), f"pulse serve died during the hostile-peer suite:\n{process.stderr_tail()}"
    assert process.rss() - baseline < 96 * MiB, "server memory grew across the hostile-peer suite"
    process.terminate()


@pytest.fixture
def peer(server):
    raw = RawPeer(server.address)
    yield raw
    raw.close()


@pytest.fixture(autouse=True)
def still_serves_well_behaved_clients(server, stubs):
    """After every attack: a stock grpcio client is served, and the server's RSS is bounded."""
    yield
    assert server.alive(), server.stderr_tail()
    assert health_check(stubs, server.address) == stubs.health_pb2.HealthCheckResponse.SERVING
    assert server.rss() < 512 * MiB


def test_settings_of_bad_length_is_frame_size_error(peer):
    peer.send(frame(SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00"))  # 5 bytes: not a multiple of 6
    assert peer.goaway() == FRAME_SIZE_ERROR
    assert peer.wait_closed()


def test_data_on_stream_zero_is_protocol_error(peer):
    peer.send(frame(DATA, 0, 0, b"hello"))
    assert peer.goaway() == PROTOCOL_ERROR
    assert peer.wait_closed()


def test_continuation_flood_closes_the_connection(peer):
    # Debian's nghttp2 (CVE-2024-28182 fix) fails the session past its CONTINUATION limit and closes
    # without a GOAWAY; a GOAWAY is accepted too. What is not acceptable: buffering forever.
    peer.send(frame(HEADERS, 0, 1, peer.encoder.encode(grpc_request_headers())))
    flood = frame(CONTINUATION, 0, 1, peer.encoder.encode([("x-flood", "a" * 16)]))
    try:
        for _ in range(400):
            peer.send(flood * 25)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server hung up mid-flood: that is the answer
    code = peer.goaway(timeout=5)
    assert code in (None, PROTOCOL_ERROR, ENHANCE_YOUR_CALM, INTERNAL_ERROR)
    assert peer.wait_closed()


def test_rapid_reset_burst_gets_goaway(peer):
    burst = bytearray()
    for stream in range(1, 20_001, 2):  # 10,000 streams opened and reset at once (CVE-2023-44487)
        burst += frame(HEADERS, END_HEADERS, stream, peer.encoder.encode(grpc_request_headers()))
        burst += frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))
    try:
        peer.send(bytes(burst))
    except (BrokenPipeError, ConnectionResetError):
        pass
    # Debian's reset limiter answers INTERNAL_ERROR; the server's own glitch counter ENHANCE_YOUR_CALM.
    assert peer.goaway(timeout=10) in (ENHANCE_YOUR_CALM, INTERNAL_ERROR)
    assert peer.wait_closed()


def stream_outcome(peer, stream, timeout=5.0):
    """('reset', code), ('goaway', code), ('response', headers...) or ('closed',) for one stream."""
    headers = []
    for kind, flags, sid, payload in peer.frames(
        timeout, until=lambda f: f[0] in (RST_STREAM, GOAWAY) or (f[2] == stream and f[1] & END_STREAM)
    ):
        if kind == RST_STREAM and sid == stream:
            return ("reset", struct.unpack(">I", payload)[0])
        if kind == GOAWAY:
            return ("goaway", struct.unpack(">I", payload[4:8])[0])
        if kind == HEADERS and sid == stream:
            headers += peer.decoder.decode(payload)
    return ("response", dict(headers)) if headers else ("closed",)


def test_oversized_header_list_is_refused(peer):
    bulk = [(f"x-big-{i}", "v" * 1000) for i in range(300)]  # ~300 KiB, far over any sane limit
    block = peer.encoder.encode(grpc_request_headers(extra=bulk))
    first, rest = block[:16384], block[16384:]
    peer.send(frame(HEADERS, END_STREAM, 1, first))
    while rest:
        chunk, rest = rest[:16384], rest[16384:]
        peer.send(frame(CONTINUATION, 0 if rest else END_HEADERS, 1, chunk))
    outcome = stream_outcome(peer, 1)
    if outcome[0] == "response":  # an HTTP-level refusal is fine; a served call is not
        assert outcome[1].get(":status") in ("431", "400"), outcome
    else:
        # RFC 9113 §10.5.1 lets the server refuse the stream or, as an abuse, end the connection.
        assert outcome in {("reset", PROTOCOL_ERROR), ("reset", REFUSED_STREAM), ("reset", INTERNAL_ERROR),
                           ("goaway", ENHANCE_YOUR_CALM), ("goaway", PROTOCOL_ERROR)}, outcome


@pytest.mark.parametrize("name", ["X-Upper-Case", "bad name", "colon:inside", ""])
def test_invalid_header_names_reset_the_stream(peer, name):
    peer.send_headers(1, grpc_request_headers(extra=[(name, "v")]), end_stream=True)
    outcome = stream_outcome(peer, 1)
    # RFC 9113 §8.2.1: a malformed request is a stream error of type PROTOCOL_ERROR.
    assert outcome in {("reset", PROTOCOL_ERROR), ("goaway", PROTOCOL_ERROR)}, outcome


def test_declared_four_gib_message_is_resource_exhausted_without_buffering(peer, server):
    before = server.rss()
    peer.send_headers(1, grpc_request_headers())
    peer.send(frame(DATA, 0, 1, b"\x00\xff\xff\xff\xff" + b"\x00" * 1000))  # 4 GiB - 1 declared, 1 KB sent
    outcome = stream_outcome(peer, 1)
    assert outcome[0] == "response", outcome
    assert outcome[1].get("grpc-status") == "8", outcome  # RESOURCE_EXHAUSTED, decided from the prefix alone
    assert server.rss() - before < 16 * MiB


def test_client_that_never_reads_does_not_grow_server_memory(server, stubs):
    request = stubs.diagnostics_pb2.StreamRequest(count=100_000, payload_size=16 * 1024).SerializeToString()
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    connection.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
    connection.increment_flow_control_window(2**31 - 1 - 65535)
    host, _, port = server.address.rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    before = server.rss()
    streams = [connection.get_next_available_stream_id() for _ in range(1)]
    for _ in range(7):
        streams.append(streams[-1] + 2)
    for stream in streams:  # 8 streams x 1.6 GB offered, windows wide open: only TCP can push back
        connection.send_headers(stream, grpc_request_headers("/pulse.v1.Diagnostics/Stream"))
        connection.send_data(stream, b"\x00" + struct.pack(">I", len(request)) + request, end_stream=True)
    sock.sendall(connection.data_to_send())
    peak = before
    for _ in range(30):  # 3 s of never reading, while another client must still be served
        time.sleep(0.1)
        peak = max(peak, server.rss())
    assert health_check(stubs, server.address) == stubs.health_pb2.HealthCheckResponse.SERVING
    sock.close()
    assert peak - before < 64 * MiB, f"server RSS grew {(peak - before) / MiB:.1f} MiB for a client that never reads"


@pytest.mark.parametrize(
    "kind, payload", [(PING, b"12345678"), (SETTINGS, b"\x00\x03\x00\x00\x00\x64")], ids=["ping", "settings"]
)
def test_control_frame_flood_from_a_peer_that_does_not_read_is_cut_off(peer, kind, payload):
    # Every PING and SETTINGS demands an ACK; a peer that never reads them must not make the server
    # queue ACKs without bound (nghttp2's max_outbound_ack and the server's flood counter).
    peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        for _ in range(100):
            peer.send(frame(kind, 0, 0, payload) * 500)
    except OSError:
        pass  # the server hung up mid-flood
    assert peer.goaway(timeout=5) in (ENHANCE_YOUR_CALM, INTERNAL_ERROR)
    assert peer.wait_closed()


def test_wrong_preface_is_rejected(server):
    raw = RawPeer(server.address, handshake=False)
    try:
        raw.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        code = raw.goaway(timeout=5)
        assert code in (None, PROTOCOL_ERROR)
        assert raw.wait_closed()
    finally:
        raw.close()
