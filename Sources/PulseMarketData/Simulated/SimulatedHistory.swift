import PulseAnalytics
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// Historical bars of the simulated market for LoadSymbol with `DATA_SOURCE_SIMULATED`: a geometric random
/// walk per symbol over NYSE sessions — one bar per session for daily bars (at midnight UTC of the session's
/// date, the project's convention for daily data), bars of the timeframe's length through regular hours for
/// intraday ones.
///
/// Deterministic: the walk's random stream depends only on the symbol, and each bar's draw only on its own time
/// (a stream per bar time), so the same range always gives the same bars and overlapping ranges agree on the bars
/// they share.
public enum SimulatedHistory {
    /// The most bars one request may generate.
    public static let maximumBars = 2_000_000

    public struct TooManyBars: Error, CustomStringConvertible, Sendable {
        public var bars: Int
        public var description: String {
            "the range holds \(bars) bars; at most \(SimulatedHistory.maximumBars) can be generated at once"
        }
    }

    /// Bars of `symbol` at `timeframe` (minutes, hours or days) with open times in `[start, end)` (seconds).
    public static func bars(symbol: String, timeframe: Timeframe, start: Int64, end: Int64) throws(TooManyBars)
        -> StoredBars
    {
        let seed = fnv1a(symbol)
        let sessions = ExchangeCalendar.nyse.sessions(
            from: EasternTime.sessionDay(at: start), through: EasternTime.sessionDay(at: max(start, end - 1)))
        var times: [Int64] = []
        if let stride = timeframe.fixedSeconds {
            let perSession = Int((6 * 3600 + 1800) / stride) + 1
            guard sessions.count * perSession <= maximumBars else {
                throw TooManyBars(bars: sessions.count * perSession)
            }
            for session in sessions {
                var t = session.open
                while t < session.close {
                    if t >= start && t < end { times.append(t) }
                    t += stride
                }
            }
        } else {
            times = sessions.map { $0.day * 86_400 }.filter { $0 >= start && $0 < end }
        }
        let secondsPerBar = Double(timeframe.fixedSeconds ?? 23_400)
        // σ per bar from 30 % a year over 252 sessions of 6.5 hours.
        let sigma = 0.3 * (secondsPerBar / (252 * 23_400)).squareRoot()
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var close: [Double] = []
        var volume: [Double] = []
        open.reserveCapacity(times.count)
        high.reserveCapacity(times.count)
        low.reserveCapacity(times.count)
        close.reserveCapacity(times.count)
        volume.reserveCapacity(times.count)
        // The level of bar t comes from a slow deterministic drift of t alone, so any range is reproducible
        // without generating what lies before it.
        var startRandom = SeededRandom(seed: seed, stream: 0)
        let base = 50 + Double(startRandom.next() % 45_000) / 100
        for t in times {
            var random = SeededRandom(seed: seed, stream: UInt64(bitPattern: t))
            let level = base * exp(0.25 * sin(Double(t) / 7_776_000) + 0.1 * sin(Double(t) / 950_000))
            let first = level * exp(sigma * random.normal())
            let last = first * exp(sigma * random.normal())
            let top = max(first, last) * (1 + abs(sigma * 0.5 * random.normal()))
            let bottom = min(first, last) * (1 - abs(sigma * 0.5 * random.normal()))
            open.append(rounded(first))
            close.append(rounded(last))
            high.append(rounded(top))
            low.append(rounded(bottom))
            volume.append((1000 * secondsPerBar / 60 * exp(0.5 * random.normal())).rounded())
        }
        for i in times.indices {
            high[i] = max(high[i], open[i], close[i])
            low[i] = min(low[i], open[i], close[i])
        }
        return StoredBars(
            timestamps: times.map { $0 * 1_000_000 }, open: open, high: high, low: low, close: close, volume: volume)
    }

    private static func rounded(_ price: Double) -> Double { max((price * 100).rounded() / 100, 0.01) }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
