import PulseAnalytics

#if canImport(Glibc)
    import Glibc
#endif

/// A simulated market: ticks for several symbols as a geometric random walk, with trade sizes that follow an
/// intraday volume profile (heavy at the open and the close, light at midday and overnight).
///
/// Deterministic for a seed: each symbol draws from its own random stream, and a tick's time and values depend
/// only on the seed, the start time and the ticks before it — never on how often the caller asks. So two runs
/// with the same seed and start produce the same ticks, however the wall clock paces them.
///
/// ```swift
/// var market = SimulatedMarket(configuration: .init(seed: 42, symbols: ["AAPL", "MSFT"]), startUs: now)
/// for tick in market.ticks(until: now + 1_000_000) { publish(tick) }
/// ```
public struct SimulatedMarket: Sendable {
    public enum Hours: String, Sendable, CaseIterable {
        /// Prices move day and night, so a newcomer at 3 a.m. still sees a live market.
        case aroundTheClock = "always"
        /// Only in the exchange calendar's sessions: full rate in regular hours, a tenth in extended hours.
        case exchange
    }

    public struct Configuration: Sendable {
        public var seed: UInt64
        public var symbols: [String]
        /// Ticks per second over all symbols, at full intensity.
        public var ticksPerSecond: Double
        public var hours: Hours
        /// Annualised volatility of each random walk.
        public var annualVolatility: Double
        /// Where each symbol starts when it has no history (by default 50…550, from the seed).
        public var startPrices: [String: Double]

        public init(
            seed: UInt64, symbols: [String], ticksPerSecond: Double = 100, hours: Hours = .aroundTheClock,
            annualVolatility: Double = 0.3, startPrices: [String: Double] = [:]
        ) {
            self.seed = seed
            self.symbols = symbols
            self.ticksPerSecond = ticksPerSecond
            self.hours = hours
            self.annualVolatility = annualVolatility
            self.startPrices = startPrices
        }
    }

    /// One simulated trade with the quote around it.
    public struct Tick: Sendable, Equatable {
        public var symbol: String
        /// Market time, microseconds since the Unix epoch.
        public var timeUs: Int64
        public var price: Double
        public var size: Double
        public var bid: Double
        public var ask: Double
    }

    private struct SymbolState: Sendable {
        var symbol: String
        var random: SeededRandom
        var logPrice: Double
        var nextTimeUs: Int64
        var lastTimeUs: Int64
    }

    public let configuration: Configuration
    private var states: [SymbolState]
    private var schedule: IntensitySchedule

    /// A market whose first ticks come right after `startUs`; `lastPrices` continues symbols that have history.
    public init(configuration: Configuration, startUs: Int64, lastPrices: [String: Double] = [:]) {
        self.configuration = configuration
        self.schedule = IntensitySchedule(hours: configuration.hours)
        var states: [SymbolState] = []
        for (index, symbol) in configuration.symbols.enumerated() {
            var random = SeededRandom(seed: configuration.seed, stream: UInt64(index + 1))
            let defaultStart = 50 + (Double(random.next() % 50_000) / 100)
            let price = lastPrices[symbol] ?? configuration.startPrices[symbol] ?? defaultStart
            states.append(
                SymbolState(
                    symbol: symbol, random: random, logPrice: log(price), nextTimeUs: startUs, lastTimeUs: startUs))
        }
        self.states = states
        for i in states.indices {
            self.states[i].nextTimeUs = Self.scheduleAfter(
                startUs, &self.states[i].random, &schedule, configuration)
        }
    }

    /// Every tick with a time at or before `timeUs`, in time order across symbols.
    public mutating func ticks(until timeUs: Int64) -> [Tick] {
        var out: [Tick] = []
        while true {
            // The symbol due first (few symbols: a scan beats a heap).
            var due = -1
            var dueTime = Int64.max
            for i in states.indices where states[i].nextTimeUs < dueTime {
                due = i
                dueTime = states[i].nextTimeUs
            }
            guard due >= 0, dueTime <= timeUs else { return out }
            out.append(Self.step(&states[due], &schedule, configuration))
        }
    }

    /// The time of the next tick, whichever symbol it is for.
    public var nextTickUs: Int64 { states.map(\.nextTimeUs).min() ?? .max }

    private static func step(
        _ state: inout SymbolState, _ schedule: inout IntensitySchedule, _ configuration: Configuration
    ) -> Tick {
        let now = state.nextTimeUs
        let elapsed = Double(max(now - state.lastTimeUs, 1)) / 1e6
        let sigma = configuration.annualVolatility * (elapsed / (365.25 * 86_400)).squareRoot()
        state.logPrice += sigma * state.random.normal() - 0.5 * sigma * sigma
        let price = max((exp(state.logPrice) * 100).rounded() / 100, 0.01)
        // Trade sizes: lognormal around a round lot, scaled by the time of day.
        let size = max(1, (100 * Self.volumeProfile(at: now / 1_000_000) * exp(0.8 * state.random.normal())).rounded())
        let halfSpread = max(0.01, (price * 0.0001 * 100).rounded() / 100) * (state.random.unit() < 0.5 ? 1 : 2)
        let bid = ((price - halfSpread) * 100).rounded() / 100
        let ask = ((price + halfSpread) * 100).rounded() / 100
        state.lastTimeUs = now
        state.nextTimeUs = scheduleAfter(now, &state.random, &schedule, configuration)
        return Tick(symbol: state.symbol, timeUs: now, price: price, size: size, bid: bid, ask: ask)
    }

    /// The next tick time of a symbol after `timeUs`: exponential gaps at the symbol's share of the rate,
    /// thinned or skipped outside sessions in exchange hours.
    private static func scheduleAfter(
        _ timeUs: Int64, _ random: inout SeededRandom, _ schedule: inout IntensitySchedule,
        _ configuration: Configuration
    ) -> Int64 {
        let perSymbol = configuration.ticksPerSecond / Double(max(configuration.symbols.count, 1))
        guard perSymbol > 0 else { return .max }
        var t = timeUs
        while true {
            let intensity = schedule.intensity(atUs: t)
            if intensity == 0 {
                // Closed: jump to the next pre-market open (no ticks overnight or on holidays).
                t = schedule.nextPreMarketOpenUs(after: t)
                continue
            }
            let gap = -log(random.unit()) / (perSymbol * intensity)
            let candidate = t + max(1, Int64(gap * 1e6))
            // A gap that runs past the close goes on from there (to the next session).
            if schedule.intensity(atUs: candidate) == 0 {
                t = candidate
                continue
            }
            return candidate
        }
    }

    /// Relative trading volume by US/Eastern time of day: a U over the regular session (3× at the open,
    /// 2× at the close, about 1.2× at midday), 0.3× in extended hours, 0.1× overnight.
    static func volumeProfile(at utc: Int64) -> Double {
        let minute = Double((EasternTime.wallClock(at: utc) % 86_400 + 86_400) % 86_400) / 60
        let open = 570.0
        let close = 960.0
        guard minute >= open, minute < close else { return minute >= 240 && minute < 1200 ? 0.3 : 0.1 }
        let x = (minute - open) / (close - open)  // 0 at the open, 1 at the close
        return 1 + 2 * (1 - x) * (1 - x) * (1 - x) * (1 - x) + 1 * x * x * x * x
    }
}

/// How busy the simulated market is at an instant: always 1 around the clock; with exchange hours 1 in the
/// regular session, 0.1 in extended hours and 0 when closed. Keeps the day's session, so the calendar is
/// consulted once a day rather than once a tick.
private struct IntensitySchedule: Sendable {
    let hours: SimulatedMarket.Hours
    private var day = Int64.min
    private var session: ExchangeCalendar.Session?

    init(hours: SimulatedMarket.Hours) { self.hours = hours }

    mutating func intensity(atUs timeUs: Int64) -> Double {
        guard hours == .exchange else { return 1 }
        let seconds = timeUs / 1_000_000
        load(EasternTime.sessionDay(at: seconds))
        guard let session else { return 0 }
        if seconds >= session.open && seconds < session.close { return 1 }
        return seconds >= session.preMarketOpen && seconds < session.afterHoursClose ? 0.1 : 0
    }

    /// The next pre-market open after `timeUs`, in microseconds.
    mutating func nextPreMarketOpenUs(after timeUs: Int64) -> Int64 {
        var candidate = EasternTime.sessionDay(at: timeUs / 1_000_000)
        while true {
            load(candidate)
            if let session, session.preMarketOpen * 1_000_000 > timeUs { return session.preMarketOpen * 1_000_000 }
            candidate += 1
        }
    }

    private mutating func load(_ newDay: Int64) {
        guard newDay != day else { return }
        day = newDay
        session = ExchangeCalendar.nyse.session(onDay: newDay)
    }
}
