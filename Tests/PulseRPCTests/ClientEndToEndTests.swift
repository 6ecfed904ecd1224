import Foundation
import PulseClient
import PulseProtocol
import PulseRPC
import Testing

/// The Swift client against real servers over loopback: `pulse serve`, and grpcio
/// (Tests/interop/grpc_peer_server.py) — the same calls, so both directions of interop are covered.
@Suite("Swift client end to end")
struct ClientEndToEndTests {
    static let kinds = ClientTestServer.Kind.allCases.filter(ClientTestServer.shouldTest)

    private func withClient<T>(
        _ kind: ClientTestServer.Kind, _ body: (PulseClient, ClientTestServer) async throws -> T
    ) async throws -> T {
        try await ClientTestServer.with(kind) { server in
            try await PulseClient.withClient(host: server.host, port: server.port) { client in
                try await body(client, server)
            }
        }
    }

    @Test(arguments: kinds)
    func healthCheckReportsServing(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let wholeServer = try await client.health.check()
            #expect(wholeServer == .serving)
            let diagnostics = try await client.health.check(service: "pulse.v1.Diagnostics")
            #expect(diagnostics == .serving)
            await #expect(throws: RPCError.self) { try await client.health.check(service: "no.such.Service") }
        }
    }

    @Test(arguments: kinds)
    func healthWatchStreamsTheCurrentStatus(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            var updates = client.health.watch().makeAsyncIterator()
            let first = try await updates.next()
            #expect(first?.status == .serving)
        }
    }

    @Test(arguments: kinds)
    func unaryEchoRoundTripsSmallAndLargePayloads(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for payload in [[], Array("ping".utf8), large] {
                let echoed = try await client.diagnostics.echo(payload)
                #expect(echoed == payload)
            }
        }
    }

    @Test(arguments: kinds)
    func failingHandlerStatusAndMessageReachTheCaller(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let message = "precondition failed: 100% sure, café ✓"
            let request = EchoRequest(payload: [1], failCode: 9, failMessage: message)
            let error = await #expect(throws: RPCError.self) { try await client.diagnostics.echo(request) }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message == message)
        }
    }

    @Test(arguments: kinds)
    func manyConcurrentCallsShareOneConnection(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let echoed = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let request = EchoRequest(payload: Array("call \(index)".utf8), delayMs: 20)
                        return (index, try await client.diagnostics.echo(request).payload)
                    }
                }
                var all: [Int: [UInt8]] = [:]
                for try await (index, payload) in group { all[index] = payload }
                return all
            }
            #expect(echoed.count == 200)
            #expect((0..<200).allSatisfy { echoed[$0] == Array("call \($0)".utf8) })
        }
    }

    @Test(arguments: kinds)
    func serverStreamArrivesInOrderAndEndsCleanly(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            var expected: UInt64 = 0
            for try await item in client.diagnostics.stream(count: 3_000, payloadSize: 100) {
                #expect(item.index == expected)
                #expect(item.payload.count == 100)
                expected += 1
            }
            #expect(expected == 3_000)
        }
    }

    @Test(arguments: kinds)
    func deadlineEndsASlowCallOnTime(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                try await client.diagnostics.echo(
                    EchoRequest(payload: [1], delayMs: 120_000), options: CallOptions(timeout: .milliseconds(200)))
            }
            #expect(error?.code == .deadlineExceeded)
            // Well below the server's 120 s delay: only the deadline can end the call this soon. Generous, because
            // tests that block cooperative threads in parallel suites can hold both for many seconds on 2 cores.
            #expect(ContinuousClock.now - started < .seconds(60))
            let afterDeadline = try await client.diagnostics.echo([7])
            #expect(afterDeadline == [7])
        }
    }

    @Test(arguments: kinds)
    func cancellingTheTaskCancelsTheCall(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            // The server would answer after 120 s: only the cancellation can end the call sooner. The bound is
            // generous because CPU-bound suites in parallel can hold both cooperative threads for seconds.
            let slow = Task { try await client.diagnostics.echo(EchoRequest(payload: [1], delayMs: 120_000)) }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            slow.cancel()
            let outcome = await slow.result
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect((outcome.failure as? RPCError)?.code == .cancelled)

            // A stream abandoned halfway is cancelled too; the connection goes on serving.
            var items = client.diagnostics.stream(count: 1_000_000, payloadSize: 1024).makeAsyncIterator()
            for _ in 0..<10 { _ = try await items.next() }
            let stillServing = try await client.diagnostics.echo([8])
            #expect(stillServing == [8])
        }
    }

    @Test(arguments: kinds)
    func slowReaderOfALargeStreamGetsEveryMessage(kind: ClientTestServer.Kind) async throws {
        // 32 MiB through a reader that keeps stalling: the client holds back flow-control credit
        // past its high-water mark and returns it as the reader catches up, without losing a message.
        try await withClient(kind) { client, _ in
            var expected: UInt64 = 0
            for try await item in client.diagnostics.stream(count: 2_000, payloadSize: 16 * 1024) {
                #expect(item.index == expected)
                expected += 1
                if expected % 500 == 0 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(expected == 2_000)
        }
    }

    @Test(arguments: kinds)
    func oversizedRequestIsResourceExhausted(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let error = await #expect(throws: RPCError.self) {
                try await client.diagnostics.echo(Array(repeating: 1, count: 5 << 20))
            }
            #expect(error?.code == .resourceExhausted)
            let after = try await client.diagnostics.echo([9])
            #expect(after == [9])
        }
    }

    @Test(arguments: kinds)
    func unknownMethodIsUnimplemented(kind: ClientTestServer.Kind) async throws {
        try await withClient(kind) { client, _ in
            let method = GRPCMethod(service: "pulse.v1.Diagnostics", name: "NoSuchMethod", kind: .unary)
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(method, EchoRequest(), as: EchoResponse.self)
            }
            #expect(error?.code == .unimplemented)
        }
    }

    @Test(arguments: kinds)
    func serverGoneIsUnavailableAndARestartIsReconnected(kind: ClientTestServer.Kind) async throws {
        let first = try await ClientTestServer.started(kind)
        let port = first.port
        let client = try PulseClient(host: first.host, port: port)
        let beforeStop = try await client.diagnostics.echo([1])
        #expect(beforeStop == [1])
        first.stop()

        let error = await #expect(throws: RPCError.self) { try await client.diagnostics.echo([2]) }
        #expect(error?.code == .unavailable)

        let second = try await ClientTestServer.started(kind, port: port)
        defer { second.stop() }
        let afterRestart = try await client.diagnostics.echo([3])
        #expect(afterRestart == [3])
        await client.close()
    }
}

@Suite("Swift client and a server shutting down")
struct ClientShutdownTests {
    @Test(.enabled(if: ClientTestServer.shouldTest(.pulse), "needs the built `pulse` binary"))
    func inFlightStreamCompletesAndNewCallsAreRefused() async throws {
        let server = try await ClientTestServer.started(.pulse)
        defer { server.stop() }
        try await PulseClient.withClient(host: server.host, port: server.port) { client in
            var items = client.diagnostics.stream(count: 4, intervalMs: 150).makeAsyncIterator()
            let first = try await items.next()  // the call is now in flight on the server
            #expect(first?.index == 0)
            server.process.terminate()  // SIGTERM: GOAWAY, then the grace period for calls in flight

            var rest: [UInt64] = []
            while let item = try await items.next() { rest.append(item.index) }
            #expect(rest == [1, 2, 3])
            server.process.waitUntilExit()
            #expect(server.process.terminationStatus == 0)

            let refused = await #expect(throws: RPCError.self) { try await client.diagnostics.echo([5]) }
            #expect(refused?.code == .unavailable)
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
