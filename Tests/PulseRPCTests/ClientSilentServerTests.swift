import PulseClient
import PulseIO
import PulseProtocol
import Testing

/// The client's own enforcement, against a TCP peer that accepts connections and never answers:
/// nothing but the client can end these calls.
@Suite("Swift client against a silent server")
struct ClientSilentServerTests {
    private func withSilentServer<T>(_ body: (PulseClient) async throws -> T) async throws -> T {
        let listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }  // never accepts: the kernel completes the handshake, nobody speaks
        return try await PulseClient.withClient(host: "127.0.0.1", port: listener.localAddress.port, body)
    }

    @Test func deadlineIsEnforcedLocally() async throws {
        try await withSilentServer { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.diagnostics.echo([1], options: CallOptions(timeout: .milliseconds(300)))
            }
            #expect(error?.code == .deadlineExceeded)
        }
    }

    @Test func streamDeadlineIsEnforcedLocally() async throws {
        try await withSilentServer { client in
            let stream = client.diagnostics.stream(count: 10, options: CallOptions(timeout: .milliseconds(300)))
            let error = await #expect(throws: RPCError.self) {
                for try await _ in stream {}
            }
            #expect(error?.code == .deadlineExceeded)
        }
    }

    @Test func cancellationIsEnforcedLocally() async throws {
        try await withSilentServer { client in
            let call = Task { try await client.diagnostics.echo([1]) }
            try await Task.sleep(for: .milliseconds(100))
            call.cancel()
            let outcome = await call.result
            guard case .failure(let error) = outcome else {
                Issue.record("a call to a silent server cannot succeed")
                return
            }
            #expect((error as? RPCError)?.code == .cancelled)
        }
    }

    @Test func callWithoutDeadlineFailsWhenTheHandshakeNeverCompletes() async throws {
        let listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let client = try PulseClient(
            host: "127.0.0.1", port: listener.localAddress.port, connectTimeout: .milliseconds(300))
        let error = await #expect(throws: RPCError.self) { try await client.health.check() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("handshake") == true)
        await client.close()
    }

    @Test func callsAfterCloseFailAtOnce() async throws {
        let listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let client = try PulseClient(host: "127.0.0.1", port: listener.localAddress.port)
        await client.close()
        let error = await #expect(throws: RPCError.self) { try await client.diagnostics.echo([1]) }
        #expect(error?.code == .unavailable)
        let streamError = await #expect(throws: RPCError.self) {
            for try await _ in client.diagnostics.stream(count: 1) {}
        }
        #expect(streamError?.code == .unavailable)
    }

    @Test func refusedConnectionIsUnavailable() async throws {
        let port: Int
        do {  // a port that was free a moment ago: nothing listens there now
            let listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
            port = listener.localAddress.port
            listener.close()
        }
        try await PulseClient.withClient(host: "127.0.0.1", port: port) { client in
            let error = await #expect(throws: RPCError.self) { try await client.health.check() }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        }
    }
}
