import PulseAnalytics
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore

/// `pulse.v1.Indicators/Subscribe`: live indicator values over 1-minute bars, updated with every tick (the
/// forming bar, `bar_closed = false`) and every closed minute (`bar_closed = true`), incrementally through
/// `IndicatorInstance`. A separate service value from `IndicatorsService` (Compute); the router dispatches by path.
///
/// Start-up: stored 1-minute bars (when a `BarSource` is configured) warm the indicators up and the last
/// `history` of them go out first as closed updates; without one, history comes from the stream only. Then the
/// live view starts: ticks of the current minute from before the call are read back from the tick log so the
/// first forming bar is complete. With `resume_from`, the ticks after it that the log retains are replayed
/// first, race-free as in Quotes.Subscribe (subscribe, replay, drop what was replayed).
public struct IndicatorStreamService: RPCService {
    public let hub: TickHub
    public let log: TickLog?
    public let source: (any BarSource)?
    public let settings: StreamSettings
    /// Closed bars a request may ask for as history.
    public static let maxHistory: UInt32 = 10_000

    public init(hub: TickHub, log: TickLog?, source: (any BarSource)?, settings: StreamSettings = StreamSettings()) {
        self.hub = hub
        self.log = log
        self.source = source
        self.settings = settings
    }

    public var serviceName: String { PulseMethods.Indicators.service }

    public var methods: [RPCMethodDefinition] {
        [
            .serverStreaming(PulseMethods.Indicators.subscribe) { request, writer, context in
                try await subscribe(request, writer, context)
            }
        ]
    }

    func subscribe(
        _ request: PulseV1.SubscribeIndicatorsRequest, _ writer: StreamWriter<PulseV1.IndicatorUpdate>,
        _ context: ServerContext
    ) async throws {
        let symbol = request.symbol.uppercased()
        guard ValidatedSubscription.isSymbol(symbol) else {
            throw GRPCStatus(.invalidArgument, "symbol: '\(request.symbol.prefix(32))' is not a symbol")
        }
        let wire = (request.timeframe ?? PulseV1.Timeframe(1, .minute)).normalizedForStreams
        let timeframe = try StoredBarReader.timeframe(wire)
        guard timeframe.unit == .minute || timeframe.unit == .hour else {
            throw GRPCStatus(
                .invalidArgument,
                "timeframe: live indicators are computed over minutes and hours (1m to 12h), not \(timeframe); "
                    + "for days and longer use Compute over stored bars")
        }
        guard !request.indicators.isEmpty else {
            throw GRPCStatus(
                .invalidArgument, "indicators: give at least one, e.g. {function: \"rsi\", parameters: [14]}")
        }
        guard request.history <= Self.maxHistory else {
            throw GRPCStatus(.invalidArgument, "history: \(request.history) bars, at most \(Self.maxHistory)")
        }
        let specs = try request.indicators.enumerated().map { k, spec throws(GRPCStatus) in
            try IndicatorsService.spec(spec, index: k)
        }
        let subscription = hub.subscribe(to: [symbol], bars: true)
        defer { subscription.close() }
        if timeframe == .oneMinute {
            var call = IndicatorStreamCall(
                symbol: symbol, specs: specs, subscription: subscription, hub: hub, log: log, settings: settings
            ) { update in try await writer.send(update) }
            if let source {
                call.storedMinutes = { from, until in
                    try await Self.stored(
                        source, symbol: symbol, timeframe: wire, start: from, end: until, limit: nil, context: context)
                }
                // Compute's warm-up rule (nil: every stored bar), so live values equal a computation over the
                // history.
                let warmUp = IndicatorWarmUp.bars(for: specs)
                if let stored = try await Self.stored(
                    source, symbol: symbol, timeframe: wire, limit: warmUp.map { $0 + Int(request.history) },
                    context: context)
                {
                    try await call.warmUp(stored, history: Int(request.history))
                }
            }
            try await call.run(resumeFrom: request.resumeFrom == 0 ? nil : request.resumeFrom)
            return
        }
        // Longer timeframes: the 1-minute call without indicators, its minutes folded into bars of the timeframe.
        let buckets = BucketsBox(
            IndicatorBuckets(symbol: symbol, timeframe: timeframe, wire: wire, specs: specs))
        var call = IndicatorStreamCall(
            symbol: symbol, specs: [], subscription: subscription, hub: hub, log: log, settings: settings
        ) { update in
            for folded in buckets.value.take(update) { try await writer.send(folded) }
        }
        call.idle = {
            for folded in buckets.value.closeDue(nowMs: WallClock.nowMs()) { try await writer.send(folded) }
        }
        if let source {
            let warmUp = IndicatorWarmUp.bars(for: specs)
            if var stored = try await Self.stored(
                source, symbol: symbol, timeframe: wire, limit: warmUp.map { $0 + Int(request.history) + 1 },
                context: context)
            {
                // The latest stored bar may be the one still forming: its minutes start the live bar instead.
                if let last = stored.timestamps?.last, buckets.value.endMs(of: last * 1000) > WallClock.nowMs() {
                    stored = stored.prefix(stored.count - 1)
                    let minutes = try await Self.stored(
                        source, symbol: symbol, timeframe: PulseV1.Timeframe(1, .minute), start: last * 1000,
                        limit: nil, context: context)
                    if let minutes {
                        buckets.value.seed(minutes: minutes)
                        try await call.warmUp(minutes, history: 0)
                    }
                }
                for update in buckets.value.warmUp(stored, history: Int(request.history)) {
                    try await writer.send(update)
                }
            }
        }
        // Wakes the call when nothing arrives, so a quiet symbol's bar still closes at its end.
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                subscription.wake()
            }
        }
        defer { ticker.cancel() }
        try await call.run(resumeFrom: request.resumeFrom == 0 ? nil : request.resumeFrom)
    }

    /// Stored bars of `symbol` (the last `limit`, or those in `[start, end)`), nil when there are none.
    static func stored(
        _ source: any BarSource, symbol: String, timeframe: PulseV1.Timeframe, start: Int64? = nil,
        end: Int64? = nil, limit: Int?, context: ServerContext
    ) async throws -> BarSeries? {
        do {
            let bars = try await source.bars(
                symbol: symbol, timeframe: timeframe, start: start, end: end, limit: limit, fromEnd: start == nil,
                context: context)
            return bars.isEmpty ? nil : bars
        } catch let status as GRPCStatus where status.code == .notFound {
            // No stored bars yet: the history comes from the stream alone.
            return nil
        }
    }
}

/// The folding state shared by a call's send and idle closures (both run on the call's task, one at a time).
private final class BucketsBox {
    var value: IndicatorBuckets
    init(_ value: IndicatorBuckets) { self.value = value }
}

extension PulseV1.Timeframe {
    /// Proto3's defaults for a stream: an unset unit is a minute (not a day, as for stored bars).
    fileprivate var normalizedForStreams: PulseV1.Timeframe {
        PulseV1.Timeframe(max(multiple, 1), unit == .unspecified ? .minute : unit)
    }
}
