/// Builds 1-minute OHLCV bars from trades as they arrive: a bar opens with the first trade of its minute and
/// is complete once a trade of a later minute arrives or the clock passes the minute's end (`close(upTo:)`).
/// Minutes without trades get no bar. One builder per symbol; trades must come in time order (a late trade
/// for an already completed minute is counted in `lateTrades` and left out, since its bar is written).
public struct MinuteBarBuilder: Sendable {
    /// One minute's bar; `startMs` is the minute's first millisecond (UTC).
    public struct Bar: Sendable, Equatable {
        public var startMs: Int64
        public var open: Double
        public var high: Double
        public var low: Double
        public var close: Double
        public var volume: Double
        public var trades: Int
    }

    public let symbol: String
    private var current: Bar?
    /// Trades that arrived after their minute was complete.
    public private(set) var lateTrades = 0
    private var lastCompletedStartMs = Int64.min

    public init(symbol: String) { self.symbol = symbol }

    /// Adds a trade at `timeUs`; returns the bar it completed, if any.
    public mutating func add(timeUs: Int64, price: Double, size: Double) -> Bar? {
        let minute = Self.minuteStartMs(timeUs)
        guard minute > lastCompletedStartMs else {
            lateTrades += 1
            return nil
        }
        if var bar = current, bar.startMs == minute {
            bar.high = max(bar.high, price)
            bar.low = min(bar.low, price)
            bar.close = price
            bar.volume += size
            bar.trades += 1
            current = bar
            return nil
        }
        let completed = finishCurrent()
        current = Bar(startMs: minute, open: price, high: price, low: price, close: price, volume: size, trades: 1)
        return completed
    }

    /// Completes the open bar when the clock has passed its minute; returns it.
    public mutating func close(upTo timeUs: Int64) -> Bar? {
        guard let bar = current, Self.minuteStartMs(timeUs) > bar.startMs else { return nil }
        return finishCurrent()
    }

    /// The bar still being built, if any.
    public var inProgress: Bar? { current }

    private mutating func finishCurrent() -> Bar? {
        guard let bar = current else { return nil }
        current = nil
        lastCompletedStartMs = bar.startMs
        return bar
    }

    static func minuteStartMs(_ timeUs: Int64) -> Int64 {
        let ms = timeUs >= 0 ? timeUs / 1000 : (timeUs - 999) / 1000
        return ms - ((ms % 60_000) + 60_000) % 60_000
    }
}
