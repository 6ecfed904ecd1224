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
        let timeframe = request.timeframe ?? PulseV1.Timeframe(1, .minute)
        guard timeframe.unit == .minute || timeframe.unit == .unspecified, max(timeframe.multiple, 1) == 1 else {
            // Say what was asked for as well as what is served, so a client sees the mismatch at once.
            let asked = (try? StoredBarReader.timeframe(timeframe)).map { "\($0)" } ?? "that timeframe"
            throw GRPCStatus(
                .invalidArgument,
                "timeframe: live indicators are computed over 1-minute bars only (leave timeframe unset or give 1m), "
                    + "not \(asked); for other timeframes use Compute over stored bars")
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
        var call = IndicatorStreamCall(
            symbol: symbol, specs: specs, subscription: subscription, hub: hub, log: log, settings: settings
        ) { update in try await writer.send(update) }
        if let source {
            // Compute's warm-up rule (nil: every stored bar), so live values equal a computation over the history.
            let warmUp = IndicatorWarmUp.bars(for: specs)
            do {
                let stored = try await source.bars(
                    symbol: symbol, timeframe: PulseV1.Timeframe(1, .minute), start: nil, end: nil,
                    limit: warmUp.map { $0 + Int(request.history) }, fromEnd: true, context: context)
                try await call.warmUp(stored, history: Int(request.history))
            } catch let status as GRPCStatus where status.code == .notFound {
                // No stored bars yet: the history comes from the stream alone.
            }
        }
        try await call.run(resumeFrom: request.resumeFrom == 0 ? nil : request.resumeFrom)
    }
}
