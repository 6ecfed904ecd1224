import PulseAnalytics
import Testing

@testable import PulseMarketData

@Suite("Simulated market")
struct SimulatedMarketTests {
    /// 2024-03-13 14:00 UTC, a Wednesday in regular hours (10:00 EDT).
    static let wednesday: Int64 = 1_710_338_400 * 1_000_000
    static let symbols = ["AAPL", "MSFT", "GOOG", "AMZN", "SPY"]

    private func market(seed: UInt64 = 7, rate: Double = 1_000, hours: SimulatedMarket.Hours = .aroundTheClock)
        -> SimulatedMarket
    {
        SimulatedMarket(
            configuration: .init(seed: seed, symbols: Self.symbols, ticksPerSecond: rate, hours: hours),
            startUs: Self.wednesday)
    }

    @Test("the same seed gives the same ticks, however the clock paces the calls")
    func deterministic() {
        var once = market()
        let all = once.ticks(until: Self.wednesday + 10_000_000)
        var paced = market()
        var stepped: [SimulatedMarket.Tick] = []
        var t = Self.wednesday
        while t < Self.wednesday + 10_000_000 {
            t += 137_003  // an uneven step
            stepped += paced.ticks(until: min(t, Self.wednesday + 10_000_000))
        }
        #expect(all.count > 9_000)
        #expect(all == stepped)
        var other = market(seed: 8)
        #expect(other.ticks(until: Self.wednesday + 10_000_000) != all)
    }

    @Test("ticks arrive at the configured total rate, in time order, split evenly over the symbols")
    func rate() {
        var m = market(rate: 2_000)
        let ticks = m.ticks(until: Self.wednesday + 30_000_000)
        #expect(abs(Double(ticks.count) - 60_000) < 60_000 * 0.03)
        #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $0.timeUs <= $1.timeUs })
        for symbol in Self.symbols {
            let share = Double(ticks.filter { $0.symbol == symbol }.count) / Double(ticks.count)
            #expect(abs(share - 0.2) < 0.02, "\(symbol) \(share)")
        }
    }

    @Test("prices are positive whole cents with the bid at or below and the ask at or above")
    func pricesAreSane() {
        var m = market()
        for tick in m.ticks(until: Self.wednesday + 20_000_000) {
            #expect(tick.price > 0 && tick.bid > 0 && tick.size >= 1)
            #expect(tick.bid < tick.ask && tick.bid <= tick.price && tick.price <= tick.ask)
            #expect(abs(tick.price * 100 - (tick.price * 100).rounded()) < 1e-6)
        }
    }

    @Test("exchange hours: nothing on a weekend or overnight, a tenth of the rate in extended hours")
    func exchangeHours() throws {
        // From Friday 2024-03-15 19:00 EDT (23:00 UTC) to Monday 2024-03-18 12:00 EDT.
        let friday: Int64 = 1_710_543_600 * 1_000_000
        var m = SimulatedMarket(
            configuration: .init(seed: 3, symbols: Self.symbols, ticksPerSecond: 20, hours: .exchange),
            startUs: friday)
        let ticks = m.ticks(until: friday + (2 * 86_400 + 17 * 3_600) * 1_000_000)
        let calendar = ExchangeCalendar.nyse
        #expect(!ticks.isEmpty)
        for tick in ticks {
            #expect(calendar.isOpen(at: tick.timeUs / 1_000_000, extendedHours: true), "\(tick.timeUs)")
        }
        let seconds = ticks.map { $0.timeUs / 1_000_000 }
        let regular = seconds.filter { calendar.isOpen(at: $0) }.count
        let extended = seconds.count - regular
        // Friday 19:00–20:00 and Monday 04:00–09:30 extended (6.5 h at 2/s); Monday 09:30–12:00 regular
        // (2.5 h at 20/s).
        #expect(abs(Double(extended) - 6.5 * 3_600 * 2) < 6.5 * 3_600 * 2 * 0.05)
        #expect(abs(Double(regular) - 2.5 * 3_600 * 20) < 2.5 * 3_600 * 20 * 0.03)
    }

    @Test("trade sizes follow the intraday profile: heavier at the open than at midday")
    func volumeProfile() {
        // 09:30–10:00 EST vs 12:30–13:00 EST on 2024-03-13 (EDT: UTC−4).
        let open: Int64 = 1_710_336_600
        let midday: Int64 = 1_710_347_400
        #expect(SimulatedMarket.volumeProfile(at: open) > 2.9)
        #expect(SimulatedMarket.volumeProfile(at: midday) < 1.3)
        #expect(SimulatedMarket.volumeProfile(at: open - 6 * 3_600) < 0.5)  // 03:30: overnight
    }
}

@Suite("Minute bars from trades")
struct MinuteBarBuilderTests {
    @Test("bars equal a grouping by minute written independently, and late trades are counted, not merged")
    func matchesIndependentGrouping() {
        var m = SimulatedMarket(
            configuration: .init(seed: 11, symbols: ["AAPL"], ticksPerSecond: 20), startUs: 1_710_338_400_123_456)
        let ticks = m.ticks(until: 1_710_338_400_123_456 + 600_000_000)
        var builder = MinuteBarBuilder(symbol: "AAPL")
        var bars: [MinuteBarBuilder.Bar] = []
        for tick in ticks {
            if let bar = builder.add(timeUs: tick.timeUs, price: tick.price, size: tick.size) { bars.append(bar) }
        }
        if let last = builder.close(upTo: ticks.last!.timeUs + 60_000_000) { bars.append(last) }
        // The same bars by grouping on floor(time / 60 s).
        var grouped: [Int64: [SimulatedMarket.Tick]] = [:]
        for tick in ticks { grouped[tick.timeUs / 60_000_000 * 60_000, default: []].append(tick) }
        let expected = grouped.keys.sorted().map { minute -> MinuteBarBuilder.Bar in
            let group = grouped[minute]!
            return MinuteBarBuilder.Bar(
                startMs: minute, open: group.first!.price, high: group.map(\.price).max()!,
                low: group.map(\.price).min()!, close: group.last!.price, volume: group.map(\.size).reduce(0, +),
                trades: group.count)
        }
        #expect(bars == expected)
        #expect(bars.count == 11)
        #expect(builder.add(timeUs: ticks.first!.timeUs, price: 1, size: 1) == nil)
        #expect(builder.lateTrades == 1)
    }

    @Test("a hand-made minute: open, high, low, close, volume")
    func handMade() {
        var builder = MinuteBarBuilder(symbol: "X")
        #expect(builder.add(timeUs: 60_000_000, price: 10, size: 1) == nil)
        #expect(builder.add(timeUs: 70_000_000, price: 12, size: 2) == nil)
        #expect(builder.add(timeUs: 80_000_000, price: 9, size: 3) == nil)
        #expect(builder.add(timeUs: 119_999_999, price: 11, size: 4) == nil)
        let bar = builder.add(timeUs: 120_000_000, price: 13, size: 5)
        #expect(
            bar == MinuteBarBuilder.Bar(startMs: 60_000, open: 10, high: 12, low: 9, close: 11, volume: 10, trades: 4))
        #expect(builder.close(upTo: 179_999_999) == nil)
        #expect(builder.close(upTo: 180_000_000)?.close == 13)
    }
}
