import PulseAnalytics
import PulseMarketData
import PulseProtocol
import PulseStore

/// One Indicators.Subscribe call: a 1-minute bar built from the symbol's ticks, the indicators fed each bar as it
/// closes, and the forming bar's values computed on copies of them (so a forming bar never changes the state).
///
/// A late tick of one of the last few closed minutes revises that bar: the indicators go back to their state
/// before it (a copy kept per closed bar) and are fed it and the bars after it again, each sent once more with
/// the next `revision`. Ticks this call can never see (a resume beyond the retained window, a jump in the
/// feed) go out as a `gap` update; the minute they fell in is then not closed from ticks. When the next minute
/// closes, the minutes between it and the last one closed that the store holds (written by the instance that
/// saw all their ticks) are fed and sent as closed first, so the values go on equal to a computation over the
/// full history instead of skipping them.
struct IndicatorStreamCall {
    let symbol: String
    let subscription: TickSubscription
    let hub: TickHub
    let log: TickLog?
    let settings: StreamSettings
    let send: (PulseV1.IndicatorUpdate) async throws -> Void
    /// Called when the subscription wakes with nothing to deliver (a timer's way in).
    var idle: (() async throws -> Void)?
    /// Stored 1-minute bars in `[from, until)` (milliseconds), nil when they cannot be read: fills holes.
    var storedMinutes: ((_ from: Int64, _ until: Int64) async throws -> BarSeries?)?
    /// A gap or a minute left unclosed since the last close: the next close first fills from the store.
    private var mayHaveHole = false
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
    /// The last bars this call closed (never stored ones: which ticks those hold is unknown, so a tick of theirs
    /// could be counted twice), each with the indicators' state before it, for late ticks to revise.
    private var recent: [ClosedBar] = []
    private struct ClosedBar {
        var bar: PulseV1.Bar
        var before: [IndicatorInstance]
        var closeTimeMs: Int64
        var revision: UInt32
        var sequence: UInt64
    }
    /// Closed bars a late tick may still revise.
    static let revisable = 5

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
            let bar = PulseV1.Bar(stored, at: k)
            let values = instances.feed(bar)
            lastClosedMinute = max(lastClosedMinute, bar.timeMs)
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
                if let missing = page.missing {
                    try await sendGap(missing.lowerBound, missing.upperBound)
                    if page.entries.isEmpty { break }
                }
                for entry in page.entries { try await add(PulseV1.Tick(entry, symbol: symbol)) }
                guard let last = page.entries.last, page.entries.count == settings.replayPage else { break }
                after = last.sequence
            }
            replaying = false
        }
        while true {
            switch await subscription.next() {
            case .ended: return
            case .idle: try await idle?()
            case .event(let event):
                switch event.event {
                case .tick(let tick):
                    if lastSequence == nil { try await prefill(before: tick) }
                    try await add(tick)
                case .bar(let live) where live.revision == 0 && live.bar.timeMs > lastClosedMinute:
                    // The hub's bar is exact (built from every tick, before any conflation): it closes the minute.
                    if let bar = forming, bar.timeMs < live.bar.timeMs { try await closeForming() }
                    // The market time of its close, for late ticks (unknown if this call never saw the minute).
                    let closeTime = forming?.timeMs == live.bar.timeMs ? closeTimeMs : live.bar.timeMs + 59_999
                    if forming?.timeMs == live.bar.timeMs { forming = nil }
                    try await close(live.bar, sequence: live.lastSequence, closeTimeMs: closeTime)
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
        if let lastSequence, tick.sequence - UInt64(tick.conflated) > lastSequence + 1 {
            // Ticks neither sent to this call nor counted in `conflated`: lost to it.
            try await sendGap(lastSequence + 1, tick.sequence - UInt64(tick.conflated) - 1)
        }
        let minute = Self.minuteStart(tick.timeMs)
        if minute <= lastClosedMinute {
            try await revise(minute, with: tick, quietly: quietly)
            return
        }
        if let bar = forming, bar.timeMs != minute {
            // The hub did not close it (the first, partly seen minute): close it here only if it is complete.
            if ownsForming {
                try await closeForming()
            } else {
                forming = nil
                mayHaveHole = true
            }
            ownsForming = replaying
        }
        if !ownsForming, let exact = hub.formingBar(symbol), exact.bar.timeMs == minute {
            // The hub's forming bar saw every tick, even those conflated away before this call read them.
            closeTimeMs = forming?.timeMs == minute ? max(closeTimeMs, tick.timeMs) : tick.timeMs
            forming = exact.bar
            lastSequence = tick.sequence
            guard !quietly else { return }
            var copies = instances
            let values = copies.feed(exact.bar)
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
        let values = copies.feed(bar)
        try await emit(bar, closed: false, values: values, sequence: tick.sequence, conflated: tick.conflated)
    }

    private mutating func closeForming() async throws {
        guard let bar = forming else { return }
        forming = nil
        try await close(bar, sequence: lastSequence ?? 0)
    }

    private mutating func close(_ bar: PulseV1.Bar, sequence: UInt64, closeTimeMs: Int64? = nil) async throws {
        if mayHaveHole { try await fillHole(before: bar.timeMs) }
        lastClosedMinute = bar.timeMs
        remember(bar, closeTimeMs: closeTimeMs ?? self.closeTimeMs, sequence: sequence)
        let values = instances.feed(bar)
        try await emit(bar, closed: true, values: values, sequence: sequence, conflated: 0)
    }

    private mutating func remember(_ bar: PulseV1.Bar, closeTimeMs: Int64, sequence: UInt64) {
        recent.append(
            ClosedBar(bar: bar, before: instances, closeTimeMs: closeTimeMs, revision: 0, sequence: sequence))
        if recent.count > Self.revisable { recent.removeFirst(recent.count - Self.revisable) }
    }

    /// A tick of a closed minute: folds it into that bar (if still revisable) and recomputes it and the bars
    /// after it from the state before it, sending each again with its next revision.
    private mutating func revise(_ minute: Int64, with tick: PulseV1.Tick, quietly: Bool) async throws {
        lastSequence = tick.sequence
        guard let index = recent.firstIndex(where: { $0.bar.timeMs == minute }) else { return }
        var revised = recent[index]
        revised.bar.high = max(revised.bar.high, tick.price)
        revised.bar.low = min(revised.bar.low, tick.price)
        if tick.timeMs >= revised.closeTimeMs {
            revised.bar.close = tick.price
            revised.closeTimeMs = tick.timeMs
        }
        revised.bar.volume += tick.size
        revised.sequence = tick.sequence
        recent[index] = revised
        instances = recent[index].before
        for k in index..<recent.count {
            recent[k].before = instances
            let values = instances.feed(recent[k].bar)
            recent[k].revision += 1
            guard !quietly else { continue }
            try await emit(
                recent[k].bar, closed: true, values: values, sequence: tick.sequence, conflated: 0,
                revision: recent[k].revision)
        }
    }

    /// Feeds and sends as closed the stored minutes after the last closed one and before `timeMs`. A minute
    /// still missing from the store stays a hole (the store is read once per hole: by the next close the
    /// lost minute has been closed for a minute or more, time for its writer to have stored it).
    private mutating func fillHole(before timeMs: Int64) async throws {
        mayHaveHole = false
        guard let storedMinutes, lastClosedMinute != .min, timeMs > lastClosedMinute + 60_000,
            let stored = try? await storedMinutes(lastClosedMinute + 60_000, timeMs), stored.count > 0
        else { return }
        // Bars closed before the filled ones can no longer be revised: their replays would skip these.
        recent.removeAll()
        for k in 0..<stored.count {
            let bar = PulseV1.Bar(stored, at: k)
            guard bar.timeMs > lastClosedMinute, bar.timeMs < timeMs else { continue }
            lastClosedMinute = bar.timeMs
            let values = instances.feed(bar)
            try await emit(bar, closed: true, values: values, sequence: lastSequence ?? 0, conflated: 0)
        }
    }

    /// Announces lost ticks; the bar they fell in is incomplete, so it is dropped rather than closed.
    private mutating func sendGap(_ first: UInt64, _ last: UInt64) async throws {
        var update = PulseV1.IndicatorUpdate.gap(
            PulseV1.SequenceGap(symbol: symbol, firstMissing: first, lastMissing: last), symbol: symbol,
            timeframe: PulseV1.Timeframe(1, .minute), sequence: last)
        if !columnsSent {
            update.columns = columns
            columnsSent = true
        }
        try await send(update)
        lastSequence = last
        forming = nil
        ownsForming = false
        mayHaveHole = true
    }

    private mutating func emit(
        _ bar: PulseV1.Bar, closed: Bool, values: [Double], sequence: UInt64, conflated: UInt32, revision: UInt32 = 0
    ) async throws {
        var update = PulseV1.IndicatorUpdate.bar(
            bar, symbol: symbol, timeframe: PulseV1.Timeframe(1, .minute), closed: closed, values: values,
            sequence: sequence, conflated: conflated, revision: revision)
        if !columnsSent {
            update.columns = columns
            columnsSent = true
        }
        try await send(update)
    }

    static func minuteStart(_ ms: Int64) -> Int64 { ms - ((ms % 60_000) + 60_000) % 60_000 }
}
