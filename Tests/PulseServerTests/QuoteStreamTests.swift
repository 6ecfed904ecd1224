import Logging
import PulseAnalytics
import PulseClient
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore
import PulseTestSupport
import Testing

@testable import PulseServer

/// Quotes.Subscribe end to end in process, against a real Redis: an instance that ingests (simulated feed →
/// hub + tick log) and one that only follows the log, each behind its own RPC server; checked by sequence
/// number for no duplicate and no unreported hole.
@Suite("Quotes.Subscribe across instances, reconnects and quiet symbols (real Redis)", .serialized)
struct QuoteStreamTests {
    /// Every sequence accounted for exactly once per symbol.
    struct Ledger {
        var last: [String: UInt64] = [:]
        var ticks = 0
        var gaps: [PulseV1.SequenceGap] = []

        mutating func add(_ tick: PulseV1.Tick) {
            if let last = last[tick.symbol] {
                #expect(tick.sequence > last, "duplicate \(tick.sequence) after \(last)")
                #expect(tick.sequence - UInt64(tick.conflated) == last + 1, "hole: \(tick.sequence) after \(last)")
            }
            last[tick.symbol] = tick.sequence
            ticks += 1
        }

        mutating func add(_ gap: PulseV1.SequenceGap) {
            if let last = last[gap.symbol] { #expect(gap.firstMissing == last + 1) }
            last[gap.symbol] = gap.lastMissing
            gaps.append(gap)
        }
    }

    /// An RPC server on `loop`'s group serving `services`; stopped by the returned closure.
    static func serve(_ services: [any RPCService], group: EventLoopGroup, port: Int = 0) async throws -> (
        port: Int, stop: @Sendable () async -> Void
    ) {
        var configuration = ServerConfiguration()
        configuration.port = port
        configuration.loops = .exactly(1)
        configuration.gracePeriod = 0.2
        let pool = try ComputePool(threads: 1)
        let blocking = try BlockingPool(threads: 1)
        let server = RPCServer(
            configuration: configuration, services: services, group: group, computePool: pool, blockingPool: blocking)
        let address = try await server.start()
        let running = Task { try? await server.run() }
        return (
            address.port,
            {
                server.initiateGracefulShutdown(gracePeriod: 0.2)
                await server.waitForShutdown()
                _ = await running.value
                blocking.shutdown()
                pool.shutdown()
            }
        )
    }

    static func feed(_ redis: RedisClient, hub: TickHub, symbols: [String], rate: Double = 500) -> SimulatedFeed {
        let log = TickLog(redis: redis)
        var feed = SimulatedFeed(
            market: .init(seed: 3, symbols: symbols, ticksPerSecond: rate), hub: hub, log: log,
            ownership: RedisOwnership(redis: redis, log: log, instance: "a", leaseTime: .seconds(2)))
        feed.leaseCheck = .milliseconds(200)
        return feed
    }

    @Test("a subscriber that moves from the ingesting instance to a following one resumes with no loss")
    func movesBetweenInstances() async throws {
        try await TestRedis.with { redisServer, redis in
            let group = try EventLoopGroup(loops: 1)
            defer { group.shutdown() }
            let followerRedis = RedisClient(
                configuration: try RedisConfiguration(url: redisServer.url), loop: group.loops[0])
            let hubA = TickHub()
            let hubB = TickHub()
            var settings = StreamSettings()
            settings.followBlock = .milliseconds(100)
            let a = try await Self.serve(
                [QuoteStreamService(hub: hubA, log: TickLog(redis: redis), settings: settings)], group: group)
            let b = try await Self.serve(
                [QuoteStreamService(hub: hubB, log: TickLog(redis: redis), settings: settings)], group: group)
            let follower = TickFollower(
                hub: hubB, log: TickLog(redis: followerRedis), settings: settings, logger: Logger(label: "test"))
            let following = Task { await follower.run() }
            let feeding = Task { await Self.feed(redis, hub: hubA, symbols: ["MOVE"]).run() }
            var ledger = Ledger()
            try await PulseClient.withClient(host: "127.0.0.1", port: a.port) { client in
                for try await event in client.serverStream(
                    PulseMethods.Quotes.subscribe, PulseV1.SubscribeQuotesRequest(symbols: ["MOVE"]))
                {
                    if let tick = event.tick { ledger.add(tick) }
                    if ledger.ticks >= 100 { break }
                }
            }
            let stopped = ledger.last["MOVE"]!
            try await PulseClient.withClient(host: "127.0.0.1", port: b.port) { client in
                let request = PulseV1.SubscribeQuotesRequest(
                    symbols: ["MOVE"], resumeFrom: [PulseV1.ResumePoint(symbol: "MOVE", sequence: stopped)])
                for try await event in client.serverStream(PulseMethods.Quotes.subscribe, request) {
                    if let tick = event.tick { ledger.add(tick) }
                    if case .gap(let gap) = event.event { ledger.add(gap) }
                    if ledger.last["MOVE"]! >= stopped + 300 { break }
                }
            }
            #expect(ledger.gaps.isEmpty)
            feeding.cancel()
            following.cancel()
            _ = await feeding.value
            await following.value
            await a.stop()
            await b.stop()
            await followerRedis.close()
        }
    }

    @Test("a hole inside the retained log (appends lost while Redis was away) is replayed as a gap")
    func holeInsideTheLog() async throws {
        try await TestRedis.with { _, redis in
            let group = try EventLoopGroup(loops: 1)
            defer { group.shutdown() }
            let log = TickLog(redis: redis)
            #expect(try await log.claim("HOLE", epoch: 1))
            let entries = (Array(1...5) + Array(10...12)).map {
                TickLog.Entry(sequence: UInt64($0), timeMs: Int64($0), price: Double($0), size: 1)
            }
            try await log.append("HOLE", epoch: 1, entries)
            let server = try await Self.serve([QuoteStreamService(hub: TickHub(), log: log)], group: group)
            var ledger = Ledger()
            try await PulseClient.withClient(host: "127.0.0.1", port: server.port) { client in
                let request = PulseV1.SubscribeQuotesRequest(
                    symbols: ["HOLE"], resumeFrom: [PulseV1.ResumePoint(symbol: "HOLE", sequence: 0)])
                for try await event in client.serverStream(PulseMethods.Quotes.subscribe, request) {
                    if let tick = event.tick { ledger.add(tick) }
                    if case .gap(let gap) = event.event { ledger.add(gap) }
                    if ledger.last["HOLE"] == 12 { break }
                }
            }
            await server.stop()
            #expect(ledger.ticks == 8)
            #expect(ledger.gaps == [PulseV1.SequenceGap(symbol: "HOLE", firstMissing: 6, lastMissing: 9)])
        }
    }

    @Test("the client helper reconnects after the server goes away and resumes each symbol where it stopped")
    func helperReconnectsAndResumes() async throws {
        try await TestRedis.with { _, redis in
            let group = try EventLoopGroup(loops: 1)
            defer { group.shutdown() }
            let hub = TickHub()
            let service = QuoteStreamService(hub: hub, log: TickLog(redis: redis))
            let first = try await Self.serve([service], group: group)
            let feeding = Task { await Self.feed(redis, hub: hub, symbols: ["HELP", "HELQ"]).run() }
            var options = LiveQuotes.Options()
            options.initialBackoff = .milliseconds(50)
            options.maxBackoff = .milliseconds(200)
            var ledger = Ledger()
            var reconnects = 0
            var resumed: [String: UInt64]?
            var second: (port: Int, stop: @Sendable () async -> Void)?
            try await PulseClient.withClient(host: "127.0.0.1", port: first.port) { client in
                for try await event in client.liveQuotes(["HELP", "HELQ"], options: options) {
                    switch event {
                    case .tick(let tick):
                        ledger.add(tick)
                        if ledger.ticks == 100 {
                            await first.stop()  // the stream ends UNAVAILABLE; the helper retries
                            second = try await Self.serve([service], group: group, port: first.port)
                        }
                    case .gap(let gap): ledger.add(gap)
                    case .reconnecting: reconnects += 1
                    case .resubscribed(let from): resumed = from
                    default: break
                    }
                    if let resumed, ledger.ticks >= 100,
                        ledger.last.allSatisfy({ $0.value >= (resumed[$0.key] ?? 0) + 100 })
                    {
                        break
                    }
                }
            }
            #expect(reconnects >= 1)
            #expect(resumed?.keys.sorted() == ["HELP", "HELQ"])
            // A gap may only be what the log truly lacks: on a starved machine an append can time out, and the
            // feed then leaves a hole it reports. The ledger has already failed any unreported hole.
            let log = TickLog(redis: redis)
            for gap in ledger.gaps {
                let replay = try await log.replay(
                    gap.symbol, after: gap.firstMissing - 1, limit: Int(gap.lastMissing - gap.firstMissing + 1))
                let present = replay.entries.map(\.sequence).filter { $0 <= gap.lastMissing }
                #expect(present.isEmpty, "reported missing but in the log: \(gap.symbol) \(present)")
            }
            feeding.cancel()
            _ = await feeding.value
            await second?.stop()
        }
    }

    @Test("a quiet symbol gets heartbeats; without them the helper reports it stale")
    func heartbeatsAndStaleness() async throws {
        let group = try EventLoopGroup(loops: 1)
        defer { group.shutdown() }
        let hub = TickHub()
        var settings = StreamSettings()
        settings.heartbeatInterval = .milliseconds(100)
        let beating = try await Self.serve([QuoteStreamService(hub: hub, log: nil, settings: settings)], group: group)
        settings.heartbeatInterval = .seconds(600)
        let silent = try await Self.serve([QuoteStreamService(hub: hub, log: nil, settings: settings)], group: group)
        var options = LiveQuotes.Options()
        options.staleAfter = .seconds(3)  // 30 heartbeat intervals: room for a loaded machine
        try await PulseClient.withClient(host: "127.0.0.1", port: beating.port) { client in
            var beats = 0
            for try await event in client.liveQuotes(["QUIET"], options: options) {
                if case .stale = event { Issue.record("stale despite heartbeats") }
                if case .heartbeat(let beat) = event {
                    #expect(beat.symbol == "QUIET" && beat.lastSequence == 0 && beat.serverTimeMs > 0)
                    beats += 1
                }
                if beats == 40 { break }  // about 4 s: longer than the stale limit, never reported stale
            }
        }
        options.staleAfter = .milliseconds(400)
        try await PulseClient.withClient(host: "127.0.0.1", port: silent.port) { client in
            for try await event in client.liveQuotes(["QUIET"], options: options) {
                if case .stale(let symbol, let quiet) = event {
                    #expect(symbol == "QUIET" && quiet > .milliseconds(400))
                    break
                }
            }
        }
        await beating.stop()
        await silent.stop()
    }

    @Test(
        "bad requests are INVALID_ARGUMENT naming what is wrong",
        arguments: [
            ([String](), "at least one symbol"), (["AAPL", "A B"], "symbols[1]"), (["AAPL", "aapl"], "named twice"),
            ((0...1_000).map { "S\($0)" }, "at most 1000"),
        ])
    func badRequests(symbols: [String], fragment: String) async throws {
        let group = try EventLoopGroup(loops: 1)
        defer { group.shutdown() }
        let server = try await Self.serve([QuoteStreamService(hub: TickHub(), log: nil)], group: group)
        try await PulseClient.withClient(host: "127.0.0.1", port: server.port) { client in
            do {
                for try await _ in client.serverStream(
                    PulseMethods.Quotes.subscribe, PulseV1.SubscribeQuotesRequest(symbols: symbols))
                {}
                Issue.record("expected INVALID_ARGUMENT")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument && error.message.contains(fragment))
            }
        }
        await server.stop()
    }
}

@Suite("Indicators.Subscribe over stored history and live ticks")
struct IndicatorStreamTests {
    @Test("history first, forming updates per tick, closed updates equal the batch computation over the same bars")
    func historyFormingAndClosed() async throws {
        let group = try EventLoopGroup(loops: 1)
        defer { group.shutdown() }
        // 200 stored 1-minute bars ending at minute 1000 (times are arbitrary market times: the hub takes any).
        var stored = ServiceFixture.walk(count: 200)
        stored.symbol = "IND"
        stored.timeMs = (0..<200).map { Int64(800 + $0) * 60_000 }
        let hub = TickHub()
        let service = IndicatorStreamService(
            hub: hub, log: nil, source: FixedBarSource(bars: ["IND": stored]), settings: StreamSettings())
        let server = try await QuoteStreamTests.serve([service], group: group)
        var request = PulseV1.SubscribeIndicatorsRequest()
        request.symbol = "ind"
        request.indicators = [
            PulseV1.IndicatorSpec(function: "ema", parameters: [10]),
            PulseV1.IndicatorSpec(function: "rsi", parameters: [14]),
        ]
        request.history = 5
        // Three live minutes of four ticks each, after the stored ones.
        // The hub never announces the first minute it sees part of: a tick in the last stored minute goes first.
        var live = [PulseV1.Tick(symbol: "IND", sequence: 1, timeMs: 999 * 60_000 + 30_000, price: 100, size: 1)]
        for minute in 0..<3 {
            for k in 0..<4 {
                let sequence = UInt64(minute * 4 + k + 2)
                live.append(
                    PulseV1.Tick(
                        symbol: "IND", sequence: sequence, timeMs: Int64(1_000 + minute) * 60_000 + Int64(k) * 1_000,
                        price: 100 + Double((minute * 7 + k * 3) % 11), size: Double(k + 1)))
            }
        }
        var updates: [PulseV1.IndicatorUpdate] = []
        try await PulseClient.withClient(host: "127.0.0.1", port: server.port) { client in
            let stream = client.serverStream(PulseMethods.Indicators.subscribe, request)
            var published = false
            for try await update in stream {
                updates.append(update)
                if updates.count == 5 && !published {
                    published = true
                    // Let the call subscribe before publishing: it already sent history, so it is subscribed.
                    for tick in live { hub.publish(tick) }
                }
                // 5 history + 2 live minutes closed, then the last minute forming (its tick comes after the bar).
                if updates.filter(\.barClosed).count == 7 && !update.barClosed { break }
            }
        }
        await server.stop()
        #expect(updates.first?.columns == ["ema_10", "rsi_14"])
        #expect(updates.prefix(5).allSatisfy { $0.barClosed })
        #expect(updates.prefix(5).map(\.timeMs) == Array(stored.timeMs.suffix(5)))
        // The batch computation over stored + the two closed live minutes, built by hand from the ticks.
        var all = stored
        for minute in 0..<2 {
            let ticks = live[(minute * 4 + 1)..<(minute * 4 + 5)]
            all.timeMs.append(Int64(1_000 + minute) * 60_000)
            all.open.append(ticks.first!.price)
            all.high.append(ticks.map(\.price).max()!)
            all.low.append(ticks.map(\.price).min()!)
            all.close.append(ticks.last!.price)
            all.volume.append(ticks.map(\.size).reduce(0, +))
        }
        let bars = ServiceFixture.analyticsBars(all)
        let ema = try IndicatorRegistry.standard.spec(function: "ema", parameters: [10]).compute(bars)[0]
        let rsi = try IndicatorRegistry.standard.spec(function: "rsi", parameters: [14]).compute(bars)[0]
        let closed = updates.filter(\.barClosed)
        for (k, update) in closed.enumerated() {
            let index = all.count - closed.count + k
            #expect(update.timeMs == all.timeMs[index])
            #expect(update.values == [ema[index], rsi[index]])
        }
        // Forming updates (as many as the reader kept up with) show a live minute so far, never more than all of it.
        let forming = updates.dropFirst(5).filter { !$0.barClosed }
        #expect(!forming.isEmpty)
        for update in forming {
            let minute = Int((update.timeMs / 60_000) - 1_000)
            #expect((0..<3).contains(minute))
            #expect(update.bar!.volume <= 10 && update.values.count == 2)
        }
        // The last one is the hub's exact forming minute (all its ticks were published), by hand from the ticks.
        let lastMinute = live.suffix(4)
        let final = forming.last?.bar
        #expect(final?.open == lastMinute.first!.price && final?.close == lastMinute.last!.price)
        #expect(final?.high == lastMinute.map(\.price).max() && final?.volume == 10)
    }
}

/// Stored minutes that answers longer timeframes with its own fold of them on the clock's grid (by hand, not the
/// server's grouping).
struct MinuteGroupingSource: BarSource {
    var minutes: PulseV1.BarSeries

    static func fold(_ minutes: PulseV1.BarSeries, size: Int64) -> PulseV1.BarSeries {
        var out = PulseV1.BarSeries()
        out.symbol = minutes.symbol
        for k in minutes.timeMs.indices {
            let start = minutes.timeMs[k] / size * size
            if out.timeMs.last == start {
                let j = out.timeMs.count - 1
                out.high[j] = max(out.high[j], minutes.high[k])
                out.low[j] = min(out.low[j], minutes.low[k])
                out.close[j] = minutes.close[k]
                out.volume[j] += minutes.volume[k]
            } else {
                out.timeMs.append(start)
                out.open.append(minutes.open[k])
                out.high.append(minutes.high[k])
                out.low.append(minutes.low[k])
                out.close.append(minutes.close[k])
                out.volume.append(minutes.volume[k])
            }
        }
        return out
    }

    func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        context: ServerContext
    ) async throws -> BarSeries {
        let size = Int64(max(timeframe.multiple, 1)) * (timeframe.unit == .hour ? 3_600_000 : 60_000)
        let series = size == 60_000 ? minutes : Self.fold(minutes, size: size)
        return try await FixedBarSource(bars: [symbol: series]).bars(
            symbol: symbol, timeframe: timeframe, start: start, end: end, limit: limit, fromEnd: fromEnd,
            context: context)
    }
}

@Suite("Indicators.Subscribe at 5 minutes: stored bars, the stored start of the forming bar, live minutes folded")
struct IndicatorBucketStreamTests {
    @Test(
        "history of stored 5m bars, the forming bar started from stored minutes, closed bars equal the batch",
        .timeLimit(.minutes(1)))
    func fiveMinutes() async throws {
        let group = try EventLoopGroup(loops: 1)
        defer { group.shutdown() }
        // Market times two hours ahead, on the 5-minute grid: nothing closes by the clock during the test.
        let base = (WallClock.nowMs() / 300_000 + 24) * 300_000
        // 203 stored minutes: up to minute 2 of the bar at `base`, which is still forming.
        var stored = ServiceFixture.walk(count: 203, seed: 3)
        stored.symbol = "FIVE"
        stored.timeMs = (0..<203).map { base + Int64($0 - 200) * 60_000 }
        let hub = TickHub()
        let service = IndicatorStreamService(
            hub: hub, log: nil, source: MinuteGroupingSource(minutes: stored), settings: StreamSettings())
        let server = try await QuoteStreamTests.serve([service], group: group)
        var request = PulseV1.SubscribeIndicatorsRequest()
        request.symbol = "FIVE"
        request.timeframe = PulseV1.Timeframe(5, .minute)
        request.indicators = [
            PulseV1.IndicatorSpec(function: "ema", parameters: [10]),
            PulseV1.IndicatorSpec(function: "rsi", parameters: [14]),
        ]
        request.history = 3
        // A tick in stored minute 2 first (the hub never announces the first minute it sees part of), then
        // minutes 3–4 (closing the bar at `base`), 5–9 (the next bar) and one tick of minute 10.
        var live = [PulseV1.Tick(symbol: "FIVE", sequence: 1, timeMs: base + 2 * 60_000 + 30_000, price: 1, size: 1)]
        for minute in 3...10 {
            for k in 0..<(minute == 10 ? 1 : 3) {
                live.append(
                    PulseV1.Tick(
                        symbol: "FIVE", sequence: UInt64(live.count + 1),
                        timeMs: base + Int64(minute) * 60_000 + Int64(k) * 10_000,
                        price: 100 + Double((minute * 5 + k * 3) % 13), size: Double(k + 1)))
            }
        }
        var updates: [PulseV1.IndicatorUpdate] = []
        try await PulseClient.withClient(host: "127.0.0.1", port: server.port) { client in
            var published = false
            for try await update in client.serverStream(PulseMethods.Indicators.subscribe, request) {
                updates.append(update)
                if updates.count == 3 && !published {
                    published = true
                    for tick in live { hub.publish(tick) }
                }
                if updates.filter(\.barClosed).count == 5 && !update.barClosed && update.timeMs == base + 600_000 {
                    break
                }
            }
        }
        await server.stop()
        // What the bars should be: the stored minutes and the live ones (built by hand), folded on the grid.
        var minutes = stored
        for minute in 3...9 {
            let start: Int64 = base + Int64(minute) * 60_000
            let ticks: [PulseV1.Tick] = live.filter { $0.timeMs >= start && $0.timeMs < start + 60_000 }
            let prices: [Double] = ticks.map { $0.price }
            minutes.timeMs.append(start)
            minutes.open.append(prices.first!)
            minutes.high.append(prices.max()!)
            minutes.low.append(prices.min()!)
            minutes.close.append(prices.last!)
            minutes.volume.append(ticks.map { $0.size }.reduce(0, +))
        }
        let all = MinuteGroupingSource.fold(minutes, size: 300_000)
        #expect(all.timeMs.suffix(2) == [base, base + 300_000])
        let bars = ServiceFixture.analyticsBars(all)
        let ema = try IndicatorRegistry.standard.spec(function: "ema", parameters: [10]).compute(bars)[0]
        let rsi = try IndicatorRegistry.standard.spec(function: "rsi", parameters: [14]).compute(bars)[0]
        let closed = updates.filter(\.barClosed)
        #expect(closed.count == 5)
        #expect(updates.prefix(3).allSatisfy { $0.barClosed && $0.sequence == 0 })
        #expect(updates.first?.columns == ["ema_10", "rsi_14"])
        for (k, update) in closed.enumerated() {
            let index = all.timeMs.count - closed.count + k
            #expect(update.timeMs == all.timeMs[index])
            #expect(update.timeframe == PulseV1.Timeframe(5, .minute))
            let bar = try #require(update.bar)
            #expect(
                [bar.open, bar.high, bar.low, bar.close, bar.volume]
                    == [all.open[index], all.high[index], all.low[index], all.close[index], all.volume[index]])
            #expect(update.values == [ema[index], rsi[index]])
        }
        // Forming updates of the bar at `base` start from its three stored minutes.
        let firstForming = try #require(updates.first { !$0.barClosed && $0.timeMs == base })
        #expect(firstForming.bar?.open == stored.open[200])
        #expect(updates.last?.bar?.close == live.last!.price && updates.last?.bar?.volume == 1)
    }
}
