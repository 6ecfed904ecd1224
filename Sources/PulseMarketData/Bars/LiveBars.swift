import PulseProtocol

/// One symbol's 1-minute bars for live streams, built from its ticks in sequence order: a bar is announced
/// (revision 0) when a tick of a later minute arrives or the clock passes its minute, and announced again
/// (revision 1, 2, …) when a tick of that minute arrives late — as long as the minute is among the last
/// `retained` closed ones. The minute in which the builder saw its first tick is incomplete (ticks before
/// it were never seen), so it is never announced; so are the minutes a jump in sequence numbers spans (ticks
/// lost before they reached this builder, such as a stretch of the log trimmed before a follower read it).
public struct LiveBars: Sendable {
    public let symbol: String
    public let retained: Int
    /// Milliseconds past a minute's end before the clock closes it, so a tick stamped just before the boundary
    /// but delivered just after still lands in its bar.
    public var closeDelayMs: Int64 = 1_000
    private struct Forming: Sendable {
        var live: PulseV1.LiveBar
        /// The market time of the trade that set `close`.
        var closeTimeMs: Int64
    }
    private var current: Forming?
    private var closed: [Forming] = []
    private var incompleteMinute: Int64?
    /// Minutes that ticks this builder never saw may fall in: from the minute of the last tick before a jump in
    /// sequence numbers to that of the first after it. Kept while a bar among them may still be announced.
    private var lostMinutes: [ClosedRange<Int64>] = []
    private var lastSequence: UInt64 = 0
    private var lastMinute: Int64 = .min

    /// - Parameter firstMinuteComplete: the first tick given is the first of its minute (a builder seeded from
    ///   a log that reaches back past that minute's start), so that minute is announced like any other.
    public init(symbol: String, retained: Int = 5, firstMinuteComplete: Bool = false) {
        self.symbol = symbol
        self.retained = max(1, retained)
        if firstMinuteComplete { incompleteMinute = .min }
    }

    /// The minute bars closed or revised before `tick` arrived, had the clock been checked at its ingest time
    /// (a replay's stand-in for the timer that closes quiet minutes), then `tick`'s own announcement.
    public mutating func addAsIngested(_ tick: PulseV1.Tick) -> [PulseV1.LiveBar] {
        var announced: [PulseV1.LiveBar] = []
        if tick.ingestTimeUs > 0, let bar = close(upTo: tick.ingestTimeUs / 1000) { announced.append(bar) }
        if let bar = add(tick) { announced.append(bar) }
        return announced
    }

    /// Folds `tick` in; returns the bar it closed or revised, if one is announced.
    public mutating func add(_ tick: PulseV1.Tick) -> PulseV1.LiveBar? {
        let minute = Self.minuteStart(tick.timeMs)
        if incompleteMinute == nil { incompleteMinute = minute }
        noteLostTicks(before: tick, minute: minute)
        if let bar = current {
            if bar.live.bar.timeMs == minute {
                Self.fold(tick, into: &current!)
                return nil
            }
            if minute < bar.live.bar.timeMs { return revise(minute, with: tick) }
        } else if let last = closed.last, minute <= last.live.bar.timeMs {
            return revise(minute, with: tick)
        }
        let announced = finishCurrent()
        let bar = PulseV1.Bar(
            timeMs: minute, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: tick.size)
        current = Forming(
            live: PulseV1.LiveBar(symbol: symbol, bar: bar, revision: 0, lastSequence: tick.sequence),
            closeTimeMs: tick.timeMs)
        return announced
    }

    /// Closes the open bar once `nowMs` is past its minute (plus the close delay); returns it if announced.
    public mutating func close(upTo nowMs: Int64) -> PulseV1.LiveBar? {
        guard let bar = current, nowMs >= bar.live.bar.timeMs + 60_000 + closeDelayMs else { return nil }
        return finishCurrent()
    }

    /// The bar still forming, if any.
    public var forming: PulseV1.LiveBar? { current?.live }

    private mutating func finishCurrent() -> PulseV1.LiveBar? {
        guard let bar = current else { return nil }
        current = nil
        closed.append(bar)
        if closed.count > retained { closed.removeFirst(closed.count - retained) }
        return isComplete(bar.live.bar.timeMs) ? bar.live : nil
    }

    private func isComplete(_ minute: Int64) -> Bool {
        minute != incompleteMinute && !lostMinutes.contains { $0.contains(minute) }
    }

    private mutating func noteLostTicks(before tick: PulseV1.Tick, minute: Int64) {
        defer {
            lastSequence = max(lastSequence, tick.sequence)
            lastMinute = minute
        }
        guard lastSequence > 0, tick.sequence > lastSequence + 1 else { return }
        lostMinutes.append(min(lastMinute, minute)...max(lastMinute, minute))
        // Spans older than every bar still announceable no longer matter.
        let oldest = closed.first?.live.bar.timeMs ?? current?.live.bar.timeMs ?? minute
        lostMinutes.removeAll { $0.upperBound < min(oldest, minute) }
    }

    /// A tick of an already closed minute: the bar again with the next revision, if the minute is retained.
    private mutating func revise(_ minute: Int64, with tick: PulseV1.Tick) -> PulseV1.LiveBar? {
        guard let index = closed.firstIndex(where: { $0.live.bar.timeMs == minute }) else { return nil }
        Self.fold(tick, into: &closed[index])
        closed[index].live.revision += 1
        return isComplete(minute) ? closed[index].live : nil
    }

    private static func fold(_ tick: PulseV1.Tick, into bar: inout Forming) {
        bar.live.bar.high = max(bar.live.bar.high, tick.price)
        bar.live.bar.low = min(bar.live.bar.low, tick.price)
        // The close is the latest trade in market time, which a late tick may not be.
        if tick.timeMs >= bar.closeTimeMs {
            bar.live.bar.close = tick.price
            bar.closeTimeMs = tick.timeMs
        }
        bar.live.bar.volume += tick.size
        bar.live.lastSequence = max(bar.live.lastSequence, tick.sequence)
    }

    static func minuteStart(_ ms: Int64) -> Int64 { ms - ((ms % 60_000) + 60_000) % 60_000 }
}
