import CNghttp2
import PulseIO
import PulseRPC
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Server hardening")
struct ServerHardeningTests {
    @Test("an oversized header list is answered with HTTP 431 and the connection keeps serving")
    func headerListTooLarge() async throws {
        try await ServerFixture.withServer({ $0.maxHeaderListSize = 4096 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let big = (0..<10).map { ("x-big-\($0)", String(repeating: "v", count: 1000)) }
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo", extra: big),
                body: ServerTestClient.frame([1]))
            client.run { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.header(":status") == "431")
            #expect(client.unary("/test.Probe/Echo", [2]).messages == [[2]])
        }
    }

    @Test("a header block spread over too many CONTINUATION frames ends with GOAWAY ENHANCE_YOUR_CALM")
    func continuationFlood() async throws {
        try await ServerFixture.withServer({ $0.maxContinuations = 1 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            // ~56 KB of headers (under nghttp2's 64 KB send limit): HEADERS plus 3 CONTINUATION frames.
            let bulk = (0..<56).map { ("x-bulk-\($0)", String(repeating: "\($0 % 10)", count: 1000)) }
            client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo", extra: bulk),
                body: ServerTestClient.frame([1]))
            client.run(timeout: 3) { client.goaway != nil }
            #expect(client.goaway?.errorCode == NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
    }

    @Test("SETTINGS advertise the stream limit, and streams over it are refused")
    func concurrentStreamLimit() async throws {
        try await ServerFixture.withServer({ $0.maxConcurrentStreams = 3 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            client.run(timeout: 0.2) { false }
            let advertised = nghttp2_session_get_remote_settings(
                client.session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
            #expect(advertised == 3)
        }
    }

    @Test("a PING flood ends with GOAWAY ENHANCE_YOUR_CALM")
    func pingFlood() async throws {
        try await ServerFixture.withServer({ $0.maxControlFramesPerWindow = 50 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            for _ in 0..<200 { client.ping() }
            client.run(timeout: 3) { client.goaway != nil }
            #expect(client.goaway?.errorCode == NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
    }

    @Test("empty DATA frames count as glitches until the connection is closed")
    func emptyDataFlood() async throws {
        try await ServerFixture.withServer({ $0.maxGlitches = 20 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo"), body: [], endStream: false)
            for _ in 0..<50 {
                client.sendEmptyFrames(id, count: 1)
                client.run(timeout: 0.002) { false }
            }
            client.run(timeout: 3) { client.goaway != nil }
            #expect(client.goaway?.errorCode == NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
    }

    @Test("a connection that never sends its preface is closed after the handshake timeout")
    func handshakeTimeout() async throws {
        try await ServerFixture.withServer({ $0.handshakeTimeout = 0.2 }) { port, _, _ in
            let client = try ServerTestClient(port: port, startSession: false)
            let start = MonotonicClock.now()
            client.run(timeout: 5) { false }
            #expect(client.peerClosed)
            #expect(MonotonicClock.now() - start < 3_000_000_000)
        }
    }

    @Test("an idle connection is closed with GOAWAY NO_ERROR")
    func idleTimeout() async throws {
        try await ServerFixture.withServer({ $0.idleTimeout = 0.3 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            #expect(client.unary("/test.Probe/Echo", [1]).grpcStatus == 0)
            client.run(timeout: 5) { client.goaway != nil }
            #expect(client.goaway?.errorCode == NGHTTP2_NO_ERROR.rawValue)
        }
    }

    @Test("connections over the limit are closed at once; the others keep working")
    func connectionLimit() async throws {
        try await ServerFixture.withServer({ $0.maxConnections = 1 }) { port, server, _ in
            let first = try ServerTestClient(port: port)
            #expect(first.unary("/test.Probe/Echo", [1]).grpcStatus == 0)
            let second = try ServerTestClient(port: port)
            second.run(timeout: 2) { false }
            #expect(second.peerClosed)
            #expect(first.unary("/test.Probe/Echo", [2]).messages == [[2]])
            #expect(server.connectionCount == 1)
        }
    }

    @Test("garbage instead of the client preface closes the connection")
    func badPreface() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port, startSession: false)
            let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            _ = garbage.withUnsafeBytes { Glibc.send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            client.run(timeout: 3) { false }
            #expect(client.peerClosed)
        }
    }
}
