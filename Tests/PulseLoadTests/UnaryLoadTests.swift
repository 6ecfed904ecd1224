import Foundation
import PulseProtocol
import Testing

@testable import PulseLoad

@Suite("Unary load against a server with known delays", .serialized)
struct UnaryLoadTests {
    @Test("closed loop: the p50 is the server's delay and throughput is concurrency / delay")
    func closedLoopFigures() async throws {
        try await withTestServer { port, _ in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port, method: "/pulse.v1.Diagnostics/Echo",
                messages: [try echoRequest(#"{"payload":"cGluZw==","delayMs":20}"#)])
            configuration.connections = 2
            configuration.concurrency = 8
            configuration.duration = 1.0
            configuration.warmup = 0.2
            let report = try await UnaryLoad.run(configuration)
            #expect(report.errorCount == 0)
            #expect(report.mode == "closed")
            #expect(report.latency.p50 >= 20 && report.latency.p50 < 30, "p50 \(report.latency.p50) ms")
            #expect(report.latency.min >= 19.5)
            // 8 calls in flight, 20 ms each: about 400/s (less the harness's and server's overheads).
            #expect(report.rps > 250 && report.rps <= 400, "rps \(report.rps)")
            #expect(abs(report.durationSeconds - 1.0) < 0.1)
            #expect(report.uncorrected == nil)
        }
    }

    @Test("errors are counted by gRPC status name; round-robin bodies reach the server")
    func errorsByStatus() async throws {
        try await withTestServer { port, _ in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port, method: "/pulse.v1.Diagnostics/Echo",
                messages: [
                    try echoRequest(#"{"failCode":5,"failMessage":"gone"}"#),
                    try echoRequest(#"{"fail_code":"8"}"#),
                    try echoRequest(#"{}"#),
                ])
            configuration.concurrency = 3
            configuration.duration = nil
            configuration.requests = 300
            let report = try await UnaryLoad.run(configuration)
            #expect(report.requests == 300)
            let errors = Dictionary(uniqueKeysWithValues: report.errors)
            #expect(errors["NOT_FOUND"] == 100)
            #expect(errors["RESOURCE_EXHAUSTED"] == 100)
            #expect(report.ok == 100)
        }
    }

    @Test("open loop holds the asked rate")
    func openLoopRate() async throws {
        try await withTestServer { port, _ in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port, method: "/pulse.v1.Diagnostics/Echo",
                messages: [try echoRequest(#"{"payload":"cGluZw==","delayMs":5}"#)])
            configuration.concurrency = 64
            configuration.duration = 1.5
            configuration.rate = .constant(400)
            let report = try await UnaryLoad.run(configuration)
            #expect(report.errorCount == 0)
            #expect(abs(Double(report.requests) - 600) <= 2, "requests \(report.requests)")
            // Throughput runs to the last response, a few ms past the end: within 5 % on a 1.5 s run.
            #expect(abs(report.rps - 400) / 400 < 0.05, "rps \(report.rps)")
            #expect(report.latency.p50 >= 5 && report.latency.p50 < 10)
            #expect(report.uncorrected != nil)
            #expect(report.askedRate == 400)
            #expect(!report.text.contains("WARNING"))
        }
    }

    @Test("open loop: a rate the calls in flight cannot carry is flagged, and the backlog shows in the latency")
    func rateNotReached() async throws {
        try await withTestServer { port, _ in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port, method: "/pulse.v1.Diagnostics/Echo",
                messages: [try echoRequest(#"{"delayMs":10}"#)])
            configuration.concurrency = 2  // at most ~200 calls/s
            configuration.duration = 1
            configuration.rate = .constant(1000)
            let report = try await UnaryLoad.run(configuration)
            #expect(report.rps < 250)
            #expect(report.text.contains("WARNING: the asked rate was not reached"))
            #expect(report.latency.p90 > 300, "corrected p90 \(report.latency.p90)")
            #expect(try #require(report.uncorrected).p90 < 20)
        }
    }

    @Test("open loop: a 500 ms stall shows in the corrected p99, not in the uncorrected one")
    func coordinatedOmission() async throws {
        try await withTestServer(services: [StallService(after: 0.6, stall: 0.5)]) { port, _ in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port, method: StallService.path, messages: [[1, 2, 3]])
            configuration.concurrency = 1  // one call in flight: the harness cannot send during the stall
            configuration.duration = 2.0
            configuration.rate = .constant(200)
            let report = try await UnaryLoad.run(configuration)
            let uncorrected = try #require(report.uncorrected)
            #expect(report.errorCount == 0)
            // About 100 of 400 calls were due during the stall: their latency from the intended send time
            // runs up to 500 ms, so the corrected p99 is near 500 ms and even the p90 shows it.
            #expect(report.latency.p99 > 400, "corrected p99 \(report.latency.p99)")
            #expect(report.latency.p90 > 100, "corrected p90 \(report.latency.p90)")
            // Measured from the actual send, only the one call that met the stall is slow.
            #expect(uncorrected.p99 < 50, "uncorrected p99 \(uncorrected.p99)")
            #expect(uncorrected.max > 400, "uncorrected max \(uncorrected.max)")
            // The backlog is sent once the stall ends: the rate is still held over the run.
            #expect(abs(Double(report.requests) - 400) <= 2, "requests \(report.requests)")
        }
    }

    @Test("an unreachable server is a clear error, at once")
    func unreachable() async throws {
        let started = Date()
        var configuration = UnaryLoadConfiguration(
            host: "127.0.0.1", port: 1, method: "/pulse.v1.Diagnostics/Echo", messages: [[]])
        configuration.duration = 5
        await #expect(throws: LoadError.self) { try await UnaryLoad.run(configuration) }
        do {
            _ = try await UnaryLoad.run(configuration)
        } catch {
            #expect(error.message.contains("cannot reach 127.0.0.1:1"))
        }
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test("a server that goes away mid-run gives a partial report, without hanging")
    func serverGoesAway() async throws {
        let started = Date()
        let report = try await withTestServer { port, server in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port, method: "/pulse.v1.Diagnostics/Echo",
                messages: [try echoRequest(#"{"delayMs":1}"#)])
            configuration.concurrency = 4
            configuration.duration = 10
            configuration.giveUpAfter = 0.5
            async let run = UnaryLoad.run(configuration)
            try await Task.sleep(for: .milliseconds(500))
            server.initiateGracefulShutdown(gracePeriod: 0)
            await server.waitForShutdown()
            return try await run
        }
        #expect(report.partial)
        #expect(report.abortReason?.contains("UNAVAILABLE") == true, "\(report.abortReason ?? "")")
        #expect(report.ok > 50)
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

@Suite("Weighted mixes")
struct MixTests {
    @Test("smooth weighted round-robin interleaves the calls in proportion")
    func plan() {
        let calls = [
            UnaryCall(method: "/a.S/A", message: [], weight: 6), UnaryCall(method: "/b.S/B", message: [], weight: 2),
        ]
        let plan = weightedPlan(calls, methods: ["/a.S/A", "/b.S/B"], timeout: nil)
        #expect(plan.map(\.method) == [0, 0, 1, 0])
    }

    @Test("a mix sends each method its share and reports each method's figures")
    func mix() async throws {
        try await withTestServer(services: [StallService(after: 1000, stall: 0)]) { port, _ in
            var configuration = UnaryLoadConfiguration(
                host: "127.0.0.1", port: port,
                calls: [
                    UnaryCall(
                        method: "/pulse.v1.Diagnostics/Echo", message: try echoRequest(#"{"delayMs":1}"#), weight: 3),
                    UnaryCall(method: StallService.path, message: [7], weight: 1),
                ])
            configuration.concurrency = 4
            configuration.duration = nil
            configuration.requests = 400
            let report = try await UnaryLoad.run(configuration)
            let methods = try #require(report.methods)
            #expect(report.method == "mix")
            #expect(methods.map(\.method) == ["/pulse.v1.Diagnostics/Echo", StallService.path])
            #expect(methods.map(\.requests) == [300, 100])
            #expect(methods[0].latency.p50 >= 1 && methods[1].latency.p50 < methods[0].latency.p50)
            #expect(report.json["methods"] != nil)
        }
    }
}
