import CNghttp2
import PulseIO
import PulseRPC
import Testing

@Suite("Server graceful shutdown")
struct ServerShutdownTests {
    @Test("in-flight calls finish within the grace period; GOAWAY names the last stream")
    func inFlightCallsFinish() async throws {
        try await ServerFixture.withServer { port, server, probe in
            let client = try ServerTestClient(port: port)
            // 30 × 10 ms = 300 ms of work.
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Sleep"), body: ServerTestClient.frame([30]))
            client.run(timeout: 0.1) { false }
            server.initiateGracefulShutdown(gracePeriod: 5)
            client.run(timeout: 5) { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.grpcStatus == 0)
            #expect(probe.finishedCalls.load(ordering: .relaxed) == 1)
            client.run(timeout: 3) { client.goaway != nil && client.peerClosed }
            #expect(client.goaway?.lastStreamID == id)
            #expect(client.goaway?.errorCode == NGHTTP2_NO_ERROR.rawValue)
            await server.waitForShutdown()
            #expect(server.connectionCount == 0)
        }
    }

    @Test("calls still open when the grace period ends get UNAVAILABLE")
    func graceExpires() async throws {
        try await ServerFixture.withServer { port, server, probe in
            let client = try ServerTestClient(port: port)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Hang"), body: ServerTestClient.frame([]))
            client.run(timeout: 0.1) { false }
            server.initiateGracefulShutdown(gracePeriod: 0.3)
            client.run(timeout: 5) { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.grpcStatus == 14)
            client.run(timeout: 2) { probe.cancelledCalls.load(ordering: .relaxed) == 1 }
            #expect(probe.cancelledCalls.load(ordering: .relaxed) == 1)
            await server.waitForShutdown()
        }
    }

    @Test("after shutdown starts, new connections are not accepted")
    func noNewConnections() async throws {
        try await ServerFixture.withServer { port, server, _ in
            server.initiateGracefulShutdown(gracePeriod: 0.1)
            await server.waitForShutdown()
            #expect(throws: IOError.self) { _ = try ServerTestClient(port: port) }
        }
    }
}
