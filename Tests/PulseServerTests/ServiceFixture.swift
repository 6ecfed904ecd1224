import PulseAnalytics
import PulseClient
import PulseIO
import PulseProtocol
import PulseRPC
import PulseServer

/// An in-process server with the analytics services on a free port, and a client connected to it.
enum ServiceFixture {
    @discardableResult
    static func withClient<T>(
        source: (any BarSource)? = nil, computeThreads: Int = 1, _ body: (PulseClient) async throws -> T
    ) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.loops = .exactly(1)
        let group = try EventLoopGroup(loops: 1)
        let pool = try ComputePool(threads: computeThreads)
        let blocking = try BlockingPool(threads: 1)
        let services: [any RPCService] = [
            IndicatorsService(source: source), BacktestsService(source: source, optimizeWorkers: computeThreads),
        ]
        let server = RPCServer(
            configuration: configuration, services: services, group: group, computePool: pool, blockingPool: blocking)
        let address = try await server.start()
        func stop() async {
            server.initiateGracefulShutdown(gracePeriod: 0.1)
            await server.waitForShutdown()
            blocking.shutdown()
            pool.shutdown()
            group.shutdown()
        }
        do {
            let result = try await PulseClient.withClient(host: "127.0.0.1", port: address.port, body)
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    /// A seeded random walk of daily bars from 2020-01-02, as a wire series.
    static func walk(count: Int, seed: UInt64 = 1) -> PulseV1.BarSeries {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var series = PulseV1.BarSeries()
        series.symbol = "WALK"
        var price = 100.0
        for k in 0..<count {
            let open = price
            price *= 1 + (next() - 0.5) * 0.04
            series.timeMs.append(1_577_923_200_000 + Int64(k) * 86_400_000)
            series.open.append(open)
            series.close.append(price)
            series.high.append(max(open, price) * (1 + next() * 0.01))
            series.low.append(min(open, price) * (1 - next() * 0.01))
            series.volume.append(1000 + next() * 1000)
        }
        return series
    }

    /// The same bars as PulseAnalytics reads them.
    static func analyticsBars(_ series: PulseV1.BarSeries) -> BarSeries {
        BarSeries(
            labels: series.timeMs.map { String($0) }, timestamps: series.timeMs.map { $0 / 1000 }, open: series.open,
            high: series.high, low: series.low, close: series.close, volume: series.volume)
    }
}

/// Stored bars for tests: one series per symbol.
struct FixedBarSource: BarSource {
    var bars: [String: PulseV1.BarSeries]

    func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        context: ServerContext
    ) async throws -> BarSeries {
        guard var series = bars[symbol] else { throw GRPCStatus(.notFound, "unknown symbol \(symbol)") }
        // The range and limit as a store applies them (the indicators' warm-up asks for the bars before a range).
        var keep = series.timeMs.indices.filter { k in
            (start.map { series.timeMs[k] >= $0 } ?? true) && (end.map { series.timeMs[k] < $0 } ?? true)
        }
        if let limit { keep = fromEnd ? Array(keep.suffix(limit)) : Array(keep.prefix(limit)) }
        series.timeMs = keep.map { series.timeMs[$0] }
        series.open = keep.map { series.open[$0] }
        series.high = keep.map { series.high[$0] }
        series.low = keep.map { series.low[$0] }
        series.close = keep.map { series.close[$0] }
        series.volume = series.volume.isEmpty ? [] : keep.map { series.volume[$0] }
        return ServiceFixture.analyticsBars(series)
    }
}
