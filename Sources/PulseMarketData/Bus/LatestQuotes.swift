import PulseAnalytics
import PulseProtocol
import Synchronization

/// The latest quote of every symbol whose ticks pass through this process's ``TickHub``, with the current
/// session's open, high, low and volume and the previous session's last price, so GetQuote answers from memory
/// without a database round trip. Sessions are US/Eastern calendar days of the tick times.
public final class LatestQuotes: Sendable {
    private struct Entry {
        var tick: PulseV1.Tick
        var sessionDay: Int64
        var open: Double
        var high: Double
        var low: Double
        var volume: Double
        var previousClose: Double
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Takes `tick` into its symbol's quote (an older tick than the latest is ignored).
    public func record(_ tick: PulseV1.Tick) {
        record(CollectionOfOne(tick))
    }

    /// Takes a run of one symbol's ticks, in order, into its quote under one lock.
    public func record<Ticks: Collection<PulseV1.Tick>>(_ ticks: Ticks) {
        guard let symbol = ticks.first?.symbol else { return }
        // Session days change rarely: worked out again only when a tick is in another second than the one before.
        var dayOfSecond: (second: Int64, day: Int64) = (.min, 0)
        func sessionDay(_ tick: PulseV1.Tick) -> Int64 {
            let second = Self.floorSeconds(tick.timeMs)
            if second != dayOfSecond.second { dayOfSecond = (second, EasternTime.sessionDay(at: second)) }
            return dayOfSecond.day
        }
        entries.withLock { entries in
            var current = entries.removeValue(forKey: symbol)
            for tick in ticks where tick.symbol == symbol {
                let day = sessionDay(tick)
                guard var entry = current else {
                    current = Entry(
                        tick: tick, sessionDay: day, open: tick.price, high: tick.price, low: tick.price,
                        volume: tick.size, previousClose: .nan)
                    continue
                }
                guard tick.sequence > entry.tick.sequence || tick.sequence == 0 else { continue }
                if day != entry.sessionDay {
                    entry.previousClose = entry.tick.price
                    entry.sessionDay = day
                    entry.open = tick.price
                    entry.high = tick.price
                    entry.low = tick.price
                    entry.volume = tick.size
                } else {
                    entry.high = max(entry.high, tick.price)
                    entry.low = min(entry.low, tick.price)
                    entry.volume += tick.size
                }
                entry.tick = tick
                current = entry
            }
            entries[symbol] = current
        }
        for tick in ticks where tick.symbol != symbol { record(tick) }
    }

    /// The symbol's quote, if a tick of it was seen.
    public func quote(_ symbol: String) -> PulseV1.Quote? {
        guard let entry = entries.withLock({ $0[symbol] }) else { return nil }
        var quote = PulseV1.Quote()
        quote.symbol = symbol
        quote.timeMs = entry.tick.timeMs
        quote.price = entry.tick.price
        quote.bid = entry.tick.bid
        quote.ask = entry.tick.ask
        quote.open = entry.open
        quote.high = entry.high
        quote.low = entry.low
        quote.volume = entry.volume
        quote.sequence = entry.tick.sequence
        if entry.previousClose.isFinite {
            quote.previousClose = entry.previousClose
            quote.change = entry.tick.price - entry.previousClose
            quote.changePercent = entry.previousClose != 0 ? 100 * quote.change / entry.previousClose : .nan
        }
        return quote
    }

    /// How many symbols have a quote.
    public var count: Int { entries.withLock { $0.count } }

    private static func floorSeconds(_ ms: Int64) -> Int64 { ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000) }
}
