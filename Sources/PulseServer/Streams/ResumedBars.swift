import PulseMarketData
import PulseProtocol
import PulseStore

/// The 1-minute bars of the symbols a Quotes.Subscribe call resumed with `include_bars`, built by the call
/// itself from exact ticks, so the bars that closed or were revised while the client was away reach it too.
///
/// The hub's bars cannot serve a resume: they went out while the client was gone, and the hub's builder may
/// have started afresh since (a symbol with no subscriber builds none). So the call seeds a builder of its own
/// with the log's ticks up to the resume point — reaching back over the minutes a late tick may still revise,
/// without announcing anything (the client saw those announcements) — then folds every tick after the resume
/// point in sequence order and announces what the hub would have: a bar closed by a tick of a later minute,
/// or by the clock (replayed ticks check it at their ingest time), and a revision for each late tick. A live
/// tick that stands for conflated ones is expanded from the log for the builder (the client still gets the
/// one conflated tick). Where the exact ticks are gone (a gap, the log unreachable) the builder starts over
/// and the minute it restarts in, being incomplete, is not announced.
struct ResumedBars {
    private struct Builder {
        var bars: LiveBars
        /// The last sequence folded in.
        var folded: UInt64
    }

    let log: TickLog
    private var builders: [String: Builder] = [:]
    /// Ticks read back from the log to seed a builder, at most.
    static let seedLimit = 5_000

    init(log: TickLog) { self.log = log }

    /// Whether this call builds `symbol`'s bars itself (so the hub's are not forwarded).
    func owns(_ symbol: String) -> Bool { builders[symbol] != nil }

    var isEmpty: Bool { builders.isEmpty }

    /// Seeds `symbol`'s builder with the log's ticks at or before `sequence` (the resume point).
    mutating func start(_ symbol: String, after sequence: UInt64) async {
        guard sequence > 0 else {
            // From the very start: every tick comes from the replay, so the first minute is whole.
            builders[symbol] = Builder(bars: LiveBars(symbol: symbol, firstMinuteComplete: true), folded: 0)
            return
        }
        let earlier = (try? await log.entries(symbol, before: sequence + 1, limit: Self.seedLimit)) ?? []
        guard let newest = earlier.first, newest.sequence == sequence else {
            // The resume point's tick is gone: the replay starts with a gap, which restarts the builder anyway.
            builders[symbol] = Builder(bars: LiveBars(symbol: symbol), folded: sequence)
            return
        }
        let retained = LiveBars(symbol: symbol).retained
        let windowStart = Self.minuteStart(newest.timeMs) - Int64(retained) * 60_000
        let inWindow = earlier.prefix { Self.minuteStart($0.timeMs) >= windowStart }
        // Whole from its first minute only when the log reaches back past the window's start.
        let complete = inWindow.count < earlier.count || earlier.last?.sequence == 1
        var bars = LiveBars(symbol: symbol, firstMinuteComplete: complete)
        for entry in inWindow.reversed() { _ = bars.addAsIngested(PulseV1.Tick(entry, symbol: symbol)) }
        builders[symbol] = Builder(bars: bars, folded: sequence)
    }

    /// The bars to send before `tick` (which the call is about to send).
    mutating func bars(before tick: PulseV1.Tick) async -> [PulseV1.LiveBar] {
        guard var builder = builders[tick.symbol], tick.sequence > builder.folded else { return [] }
        defer { builders[tick.symbol] = builder }
        if tick.conflated == 0, tick.sequence == builder.folded + 1 {
            builder.folded = tick.sequence
            return builder.bars.addAsIngested(tick)
        }
        // The tick stands for others the builder has not seen: read them back, in order.
        var announced: [PulseV1.LiveBar] = []
        while builder.folded < tick.sequence {
            guard
                let page = try? await log.replay(tick.symbol, after: builder.folded, limit: 1_000),
                page.missing == nil, let first = page.entries.first, first.sequence == builder.folded + 1
            else {
                // The exact ticks are out of reach: start over (the minute it restarts in is not announced).
                builder.bars = LiveBars(symbol: tick.symbol)
                builder.folded = tick.sequence
                _ = builder.bars.add(tick.unconflated)
                return announced
            }
            for entry in page.entries where entry.sequence > builder.folded && entry.sequence <= tick.sequence {
                announced += builder.bars.addAsIngested(PulseV1.Tick(entry, symbol: tick.symbol))
                builder.folded = entry.sequence
            }
        }
        return announced
    }

    /// Sequences up to `last` are lost for good (a gap): the builder starts over after them.
    mutating func skip(_ symbol: String, through last: UInt64) {
        guard builders[symbol] != nil else { return }
        builders[symbol] = Builder(bars: LiveBars(symbol: symbol), folded: last)
    }

    /// The bars the clock closes at `nowMs` (milliseconds since the Unix epoch).
    mutating func close(upTo nowMs: Int64) -> [PulseV1.LiveBar] {
        var announced: [PulseV1.LiveBar] = []
        for symbol in builders.keys.sorted() {
            if let bar = builders[symbol]!.bars.close(upTo: nowMs) { announced.append(bar) }
        }
        return announced
    }

    static func minuteStart(_ ms: Int64) -> Int64 { ms - ((ms % 60_000) + 60_000) % 60_000 }
}
