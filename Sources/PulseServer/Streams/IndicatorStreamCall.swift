import PulseAnalytics
import PulseMarketData
import PulseProtocol
import PulseStore

/// One Indicators.Subscribe call: a 1-minute bar built from the symbol's ticks, the indicators fed each bar as it
/// closes, and the forming bar's values computed on copies of them (so a forming bar never changes the state).
struct IndicatorStreamCall {
    let symbol: String
    let subscription: TickSubscription
    let hub: TickHub
    let log: TickLog?
    let settings: StreamSettings
    let send: (PulseV1.IndicatorUpdate) async throws -> Void
    private var instances: [IndicatorInstance]
    private let columns: [String]
    private var columnsSent = false
    /// The minute being built, the market time of its close, and the last sequence folded in.
    private var forming: PulseV1.Bar?
    private var closeTimeMs: Int64 = .min
    private var lastClosedMinute: Int64 = .min
    private var lastSequence: UInt64?
    /// Whether this call, not the hub, closes the forming minute (it saw all of its ticks from the log).
    private var ownsForming = false
    /// Ticks are coming from the log replay (every one of them), not from the hub.
    private var replaying = false

    init(
        symbol: String, specs: [IndicatorSpec], subscription: TickSubscription, hub: TickHub, log: TickLog?,
        settings: StreamSettings, send: @escaping (PulseV1.IndicatorUpdate) async throws -> Void
    ) {
        self.symbol = symbol
        self.subscription = subscription
        self.hub = hub
        self.log = log
        self.settings = settings
        self.send = send
        self.instances = specs.map { IndicatorRegistry.standard.instance($0) }
        self.columns = specs.flatMap(\.columnNames)
    }

    /// Feeds stored bars through the indicators and sends the last `history` of them as closed updates.
    mutating func warmUp(_ stored: BarSeries, history: Int) async throws {
        let first = max(0, stored.count - history)
        for k in 0..<stored.count {
            let timeMs = (stored.timestamps?[k] ?? 0) * 1000
            let bar = PulseV1.Bar(
                timeMs: timeMs, open: stored.open[k], high: stored.high[k], low: stored.low[k],
                close: stored.close[k], volume: stored.volume?[k] ?? 0)
            let values = Self.feed(&instances, bar)
            lastClosedMinute = max(lastClosedMinute, timeMs)
            if k >= first { try await emit(bar, closed: true, values: values, sequence: 0, conflated: 0) }
        }
    }

    /// Streams until the subscription ends.
    mutating func run(resumeFrom: UInt64?) async throws {
        if let resumeFrom, let log {
            // Replayed ticks carry no hub bars: this call closes their minutes itself (the log has every tick).
            ownsForming = true
            replaying = true
            lastSequence = resumeFrom
            var after = resumeFrom
            while true {
                guard let page = try? await log.replay(symbol, after: after, limit: settings.replayPage) else { break }
                for entry in page.entries { try await add(PulseV1.Tick(entry, symbol: symbol)) }
                guard let last = page.entries.last, page.entries.count == settings.replayPage else { break }
                after = last.sequence
            }
            replaying = false
        }
        while true {
            switch await subscription.next() {
            case .ended: return
            case .idle: continue
            case .event(let event):
                switch event.event {
                case .tick(let tick):
                    if lastSequence == nil { try await prefill(before: tick) }
                    try await add(tick)
                case .bar(let live) where live.revision == 0 && live.bar.timeMs > lastClosedMinute:
                    // The hub's bar is exact (built from every tick, before any conflation): it closes the minute.
                    if let bar = forming, bar.timeMs < live.bar.timeMs { try await closeForming() }
                    if forming?.timeMs == live.bar.timeMs { forming = nil }
                    try await close(live.bar, sequence: live.lastSequence)
                default: continue
                }
            }
        }
    }

    /// Reads the current minute's earlier ticks back from the log, so the first forming bar is complete (and
    /// this call may close it: the hub never announces the first minute it saw only part of).
    private mutating func prefill(before tick: PulseV1.Tick) async throws {
        guard let log, tick.sequence > 1 else { return }
        let minute = Self.minuteStart(tick.timeMs)
        let firstCovered = tick.sequence - UInt64(tick.conflated)
        guard let earlier = try? await log.entries(symbol, before: firstCovered, limit: 5_000) else { return }
        let inMinute = earlier.filter { Self.minuteStart($0.timeMs) == minute }
        // Complete only if the log reaches back past the minute's start.
        guard inMinute.count < earlier.count || earlier.count < 5_000 else { return }
        ownsForming = true
        for entry in inMinute.reversed() { try await add(PulseV1.Tick(entry, symbol: symbol), quietly: true) }
    }

    private mutating func add(_ tick: PulseV1.Tick, quietly: Bool = false) async throws {
        if let lastSequence, tick.sequence <= lastSequence { return }
        let minute = Self.minuteStart(tick.timeMs)
        if minute <= lastClosedMinute { return }  // a late tick of a closed minute: its indicators are final
        if let bar = forming, bar.timeMs != minute {
            // The hub did not close it (the first, partly seen minute): close it here only if it is complete.
            if ownsForming { try await closeForming() } else { forming = nil }
            ownsForming = replaying
        }
        if !ownsForming, let exact = hub.formingBar(symbol), exact.bar.timeMs == minute {
            // The hub's forming bar saw every tick, even those conflated away before this call read them.
            forming = exact.bar
            lastSequence = tick.sequence
            guard !quietly else { return }
            var copies = instances
            let values = Self.feed(&copies, exact.bar)
            try await emit(
                exact.bar, closed: false, values: values, sequence: exact.lastSequence, conflated: tick.conflated)
            return
        }
        var high = tick.price
        var low = tick.price
        if tick.conflated > 0 {
            high = max(high, tick.conflatedHigh)
            low = min(low, tick.conflatedLow)
        }
        let volume = tick.size + tick.conflatedSize
        if var bar = forming {
            bar.high = max(bar.high, high)
            bar.low = min(bar.low, low)
            if tick.timeMs >= closeTimeMs {
                bar.close = tick.price
                closeTimeMs = tick.timeMs
            }
            bar.volume += volume
            forming = bar
        } else {
            forming = PulseV1.Bar(
                timeMs: minute, open: tick.price, high: high, low: low, close: tick.price, volume: volume)
            closeTimeMs = tick.timeMs
        }
        lastSequence = tick.sequence
        guard !quietly, let bar = forming else { return }
        var copies = instances
        let values = Self.feed(&copies, bar)
        try await emit(bar, closed: false, values: values, sequence: tick.sequence, conflated: tick.conflated)
    }

    private mutating func closeForming() async throws {
        guard let bar = forming else { return }
        forming = nil
        try await close(bar, sequence: lastSequence ?? 0)
    }

    private mutating func close(_ bar: PulseV1.Bar, sequence: UInt64) async throws {
        lastClosedMinute = bar.timeMs
        let values = Self.feed(&instances, bar)
        try await emit(bar, closed: true, values: values, sequence: sequence, conflated: 0)
    }

    private mutating func emit(
        _ bar: PulseV1.Bar, closed: Bool, values: [Double], sequence: UInt64, conflated: UInt32
    ) async throws {
        var update = PulseV1.IndicatorUpdate()
        update.symbol = symbol
        update.timeframe = PulseV1.Timeframe(1, .minute)
        update.sequence = sequence
        update.timeMs = bar.timeMs
        update.bar = bar
        update.barClosed = closed
        update.values = values
        update.conflated = conflated
        if !columnsSent {
            update.columns = columns
            columnsSent = true
        }
        try await send(update)
    }

    /// Feeds `bar` to every instance; returns their outputs in request order.
    private static func feed(_ instances: inout [IndicatorInstance], _ bar: PulseV1.Bar) -> [Double] {
        let input = BarInput(
            open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume,
            timestamp: bar.timeMs / 1000)
        var values: [Double] = []
        for k in instances.indices {
            let output = instances[k].update(input)
            for column in 0..<output.count { values.append(output[column]) }
        }
        return values
    }

    static func minuteStart(_ ms: Int64) -> Int64 { ms - ((ms % 60_000) + 60_000) % 60_000 }
}
