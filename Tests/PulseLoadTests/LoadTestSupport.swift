import Foundation
import Logging
import PulseIO
import PulseProtocol
import PulseRPC
import PulseServer
import Synchronization

@testable import PulseLoad

/// The repository's Protocol/ directory.
let protocolDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Protocol").path
}()

let protocolSchema: ProtoSchema = try! ProtoSchema.load(directory: protocolDirectory)

/// Runs `body` with an in-process server (Diagnostics plus `services`) on a free port.
func withTestServer<T>(
    services: [any RPCService] = [], loops: Int = 1,
    _ body: (_ port: Int, _ server: RPCServer) async throws -> T
) async throws -> T {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.loops = .exactly(loops)
    configuration.maxConcurrentStreams = 1000
    let group = try EventLoopGroup(loops: loops)
    let pool = try ComputePool(threads: 1)
    let blocking = try BlockingPool(threads: 1)
    var logger = Logger(label: "pulse-load-test")
    logger.logLevel = .critical
    let server = RPCServer(
        configuration: configuration, services: [DiagnosticsService()] + services, group: group, computePool: pool,
        blockingPool: blocking, logger: logger)
    let address = try await server.start()
    defer {
        pool.shutdown()
        blocking.shutdown()
        group.shutdown()
    }
    do {
        let result = try await body(address.port, server)
        server.initiateGracefulShutdown(gracePeriod: 0.1)
        await server.waitForShutdown()
        return result
    } catch {
        server.initiateGracefulShutdown(gracePeriod: 0.1)
        await server.waitForShutdown()
        throw error
    }
}

/// An EchoRequest encoded by the harness's own JSON encoder.
func echoRequest(_ json: String) throws(SchemaError) -> [UInt8] {
    try ProtoJSONEncoder(schema: protocolSchema).encode(json, as: "pulse.v1.EchoRequest")
}

/// `/test.Stall/Now`: answers at once, except that it stalls every call that arrives in a window of
/// `stall` seconds starting `after` seconds past the first call, until the window ends.
struct StallService: RPCService {
    let after: Double
    let stall: Double

    static let path = "/test.Stall/Now"
    var serviceName: String { "test.Stall" }

    var methods: [RPCMethodDefinition] {
        let window = Window(after: after, stall: stall)
        return [
            RPCMethodDefinition(
                method: GRPCMethod(service: "test.Stall", name: "Now", kind: .unary),
                handler: .unary { body, context in
                    let now = MonotonicClock.now()
                    let (start, end) = window.bounds(now)
                    if now >= start, now < end { try await context.loop.sleep(nanoseconds: end - now) }
                    return ResponseMessage(body: body)
                })
        ]
    }

    final class Window: Sendable {
        let after: Double
        let stall: Double
        let first = Atomic<UInt64>(0)
        init(after: Double, stall: Double) {
            self.after = after
            self.stall = stall
        }
        func bounds(_ now: UInt64) -> (UInt64, UInt64) {
            _ = first.compareExchange(expected: 0, desired: now, ordering: .relaxed)
            let origin = first.load(ordering: .relaxed)
            let start = origin + UInt64(after * 1e9)
            return (start, start + UInt64(stall * 1e9))
        }
    }
}

/// `pulse.v1.Quotes/Subscribe` as a fake feed: for each requested symbol, ticks 1…30 every 10 ms whose
/// `ingest_time_us` is `ageMs` before the moment they are sent (`time_ms`, the market time, an hour earlier:
/// latency must come from the ingest time); ticks 11–13 are never sent (a hole of 3); 18 and 19
/// are replaced by 20, which says `conflated: 2` (not a loss). Then the stream stays open.
struct FakeQuoteFeed: RPCService {
    let ageMs: Int64
    var serviceName: String { "pulse.v1.Quotes" }

    /// Ticks 11-13 are a hole nobody reports, 18-19 are inside tick 20's `conflated`, 31-35 are announced as a gap.
    static let sentSequences: [UInt64] = Array(1...10) + Array(14...17) + Array(20...30) + Array(36...38)
    static let announcedGap: ClosedRange<UInt64> = 31...35

    var methods: [RPCMethodDefinition] {
        let ageMs = self.ageMs
        return [
            .serverStreaming(PulseMethods.Quotes.subscribe) {
                (request: PulseV1.SubscribeQuotesRequest, writer: StreamWriter<PulseV1.QuoteEvent>, context) in
                for sequence in Self.sentSequences {
                    for symbol in request.symbols {
                        if sequence == Self.announcedGap.upperBound + 1 {
                            try await writer.send(
                                PulseV1.QuoteEvent(
                                    .gap(
                                        PulseV1.SequenceGap(
                                            symbol: symbol, firstMissing: Self.announcedGap.lowerBound,
                                            lastMissing: Self.announcedGap.upperBound))))
                        }
                        let ingested = wallClockMicroseconds() - ageMs * 1000
                        var tick = PulseV1.Tick(
                            symbol: symbol, sequence: sequence, timeMs: ingested / 1000 - 3_600_000, price: 100)
                        tick.ingestTimeUs = ingested
                        tick.conflated = sequence == 20 ? 2 : 0
                        try await writer.send(PulseV1.QuoteEvent(.tick(tick)))
                    }
                    try await context.loop.sleep(nanoseconds: 10_000_000)
                }
                try await context.loop.sleep(nanoseconds: 60_000_000_000)
            }
        ]
    }
}
