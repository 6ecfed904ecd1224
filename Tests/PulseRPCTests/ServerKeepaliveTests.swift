import CNghttp2
import PulseIO
import PulseRPC
import Testing

@Suite("Server keepalive")
struct ServerKeepaliveTests {
    @Test("a client that answers keepalive PINGs stays connected")
    func answeredPingsKeepTheConnection() async throws {
        try await ServerFixture.withServer({
            $0.keepaliveInterval = 0.05
            $0.keepaliveTimeout = 0.2
        }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            client.run(timeout: 0.5) { false }
            #expect(client.pingsReceived >= 2)
            #expect(!client.peerClosed)
            #expect(client.unary("/test.Probe/Echo", [4]).messages == [[4]])
        }
    }

    @Test("a client that stops reading is closed once a PING goes unanswered")
    func unansweredPingCloses() async throws {
        try await ServerFixture.withServer({
            $0.keepaliveInterval = 0.05
            $0.keepaliveTimeout = 0.1
        }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            #expect(client.unary("/test.Probe/Echo", [1]).grpcStatus == 0)
            try await Task.sleep(for: .milliseconds(400))  // reads nothing, so it acknowledges nothing
            client.run(timeout: 2) { false }
            #expect(client.peerClosed)
        }
    }

    @Test("keepalive off (the default): no PINGs")
    func offByDefault() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            client.run(timeout: 0.3) { false }
            #expect(client.pingsReceived == 0)
            #expect(!client.peerClosed)
        }
    }

    @Test("a client that PINGs too often gets GOAWAY ENHANCE_YOUR_CALM (ping strikes)")
    func pingStrikes() async throws {
        try await ServerFixture.withServer({
            $0.minClientPingInterval = 10
            $0.maxPingStrikes = 2
        }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            for _ in 0..<4 {
                client.ping()
                client.run(timeout: 0.2) { client.goaway != nil }
            }
            #expect(client.goaway?.errorCode == NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
            #expect(client.pingAcks == 3)
        }
    }
}
