import PulseClient
import PulseProtocol
import PulseRPC
import PulseServer
import Testing

/// The server driven by the project's own Swift client: many concurrent calls on one connection,
/// streams, deadlines and cancellation, end to end.
@Suite("Server with PulseClient")
struct ServerPulseClientTests {
    static func services(_ registry: HealthStatusRegistry) -> (ServerProbe) -> [any RPCService] {
        { _ in [HealthService(registry: registry), DiagnosticsService()] }
    }

    @Test("concurrent unary calls, a stream and a health check share one connection")
    func concurrentCalls() async throws {
        let registry = HealthStatusRegistry()
        registry.setStatus(.serving, for: "")
        try await ServerFixture.withServer(services: Self.services(registry)) { port, server, _ in
            try await PulseClient.withClient(host: "127.0.0.1", port: port) { client in
                let echoes = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                    for index in 0..<200 {
                        group.addTask { try await client.diagnostics.echo([UInt8(index % 256), 7]) }
                    }
                    var all: [[UInt8]] = []
                    for try await echo in group { all.append(echo) }
                    return all
                }
                #expect(Set(echoes.map(\.first!)) == Set((0..<200).map { UInt8($0 % 256) }))
                var indexes: [UInt64] = []
                for try await item in client.diagnostics.stream(count: 1000, payloadSize: 64) {
                    indexes.append(item.index)
                }
                #expect(indexes == Array(0..<1000))
                #expect(try await client.health.check() == .serving)
            }
            #expect(await server.statistics().succeeded == 202)
        }
    }

    @Test("a deadline shorter than the handler's work ends with DEADLINE_EXCEEDED")
    func deadline() async throws {
        try await ServerFixture.withServer(services: Self.services(HealthStatusRegistry())) { port, _, _ in
            try await PulseClient.withClient(host: "127.0.0.1", port: port) { client in
                var slow = EchoRequest()
                slow.delayMs = 5000
                do {
                    _ = try await client.diagnostics.echo(slow, options: CallOptions(timeout: .milliseconds(100)))
                    Issue.record("the call should have failed")
                } catch let error as RPCError {
                    #expect(error.code == .deadlineExceeded)
                }
            }
        }
    }

    @Test("a handler error reaches the client with its code and message")
    func failure() async throws {
        try await ServerFixture.withServer(services: Self.services(HealthStatusRegistry())) { port, _, _ in
            try await PulseClient.withClient(host: "127.0.0.1", port: port) { client in
                var failing = EchoRequest()
                failing.failCode = Int32(GRPCStatus.Code.permissionDenied.rawValue)
                failing.failMessage = "nicht erlaubt: 100%"
                do {
                    _ = try await client.diagnostics.echo(failing)
                    Issue.record("the call should have failed")
                } catch let error as RPCError {
                    #expect(error.code == .permissionDenied)
                    #expect(error.message == "nicht erlaubt: 100%")
                }
            }
        }
    }
}
