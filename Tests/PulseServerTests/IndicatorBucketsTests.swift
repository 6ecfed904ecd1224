import PulseAnalytics
import PulseProtocol
import Testing

@testable import PulseServer

@Suite("Folding a 1-minute call's updates into 5-minute bars")
struct IndicatorBucketsTests {
    static let base: Int64 = 1_700_000_100_000  // on the 5-minute grid (1,700,000,100 s = 5,666,667 × 300)

    static func minute(_ k: Int64, closed: Bool, price: Double, sequence: UInt64, volume: Double = 1)
        -> PulseV1.IndicatorUpdate
    {
        var update = PulseV1.IndicatorUpdate()
        update.symbol = "FOLD"
        update.timeMs = base + k * 60_000
        update.bar = PulseV1.Bar(
            timeMs: base + k * 60_000, open: price, high: price + 1, low: price - 1, close: price + 0.5,
            volume: volume)
        update.barClosed = closed
        update.sequence = sequence
        return update
    }

    static func gap(_ first: UInt64, _ last: UInt64) -> PulseV1.IndicatorUpdate {
        var update = PulseV1.IndicatorUpdate()
        update.symbol = "FOLD"
        update.sequence = last
        update.gap = PulseV1.SequenceGap(symbol: "FOLD", firstMissing: first, lastMissing: last)
        return update
    }

    static func buckets() throws -> IndicatorBuckets {
        IndicatorBuckets(
            symbol: "FOLD", timeframe: .fiveMinutes, wire: PulseV1.Timeframe(5, .minute),
            specs: [try IndicatorRegistry.standard.spec("sma:2")])
    }

    @Test("a bar closes on its last grid minute: open of the first, extremes, close of the last, summed volume")
    func closesOnTheGrid() throws {
        var folder = try Self.buckets()
        var out: [PulseV1.IndicatorUpdate] = []
        // Minutes 0–4 closed (minute 2 without trades), prices 10, 11, _, 13, 14; then bar two's minutes 5–9.
        for (k, price) in [(0, 10.0), (1, 11), (3, 13), (4, 14), (5, 20), (6, 21), (7, 22), (8, 23), (9, 24)] {
            out += folder.take(Self.minute(Int64(k), closed: true, price: price, sequence: UInt64(k + 1)))
        }
        let closed = out.filter(\.barClosed)
        #expect(closed.map(\.timeMs) == [Self.base, Self.base + 300_000])
        #expect(closed[0].bar == PulseV1.Bar(timeMs: Self.base, open: 10, high: 15, low: 9, close: 14.5, volume: 4))
        #expect(closed[1].bar?.open == 20 && closed[1].bar?.close == 24.5 && closed[1].bar?.volume == 5)
        // SMA 2 over the two closes, by hand.
        #expect(closed[0].values[0].isNaN && closed[1].values == [(14.5 + 24.5) / 2])
        #expect(out.first?.columns == ["sma_2"])
        // Forming updates in between: bar one so far after minute 1, values as if it closed now.
        #expect(out[1].barClosed == false && out[1].bar?.close == 11.5 && out[1].bar?.volume == 2)
    }

    @Test("the bar joined midway, one with a minute left unclosed, and those around a gap are never closed")
    func incompleteBarsAreDropped() throws {
        var folder = try Self.buckets()
        var out: [PulseV1.IndicatorUpdate] = []
        // Joined at minute 2: bar one is not whole.
        out += folder.take(Self.minute(2, closed: false, price: 10, sequence: 1))
        out += folder.take(Self.minute(2, closed: true, price: 10, sequence: 2))
        out += folder.take(Self.minute(4, closed: true, price: 10, sequence: 3))
        // Bar two: minute 5 forming, then minute 6 arrives without minute 5 ever closing.
        out += folder.take(Self.minute(5, closed: false, price: 20, sequence: 4))
        out += folder.take(Self.minute(6, closed: true, price: 21, sequence: 5))
        out += folder.take(Self.minute(9, closed: true, price: 21, sequence: 6))
        // Bar three whole; bar four interrupted by a gap; bar five resumed in after it.
        for k in Int64(10)...14 { out += folder.take(Self.minute(k, closed: true, price: 30, sequence: 7 + UInt64(k))) }
        out += folder.take(Self.minute(15, closed: true, price: 40, sequence: 30))
        out += folder.take(Self.gap(31, 35))
        out += folder.take(Self.minute(21, closed: true, price: 50, sequence: 36))
        out += folder.take(Self.minute(24, closed: true, price: 50, sequence: 37))
        // A late minute of bar four (dropped) changes nothing; bar six is whole.
        out += folder.take(Self.minute(16, closed: true, price: 41, sequence: 38))
        for k in Int64(25)...29 {
            out += folder.take(Self.minute(k, closed: true, price: 60, sequence: 40 + UInt64(k)))
        }
        let closed = out.filter(\.barClosed).map { ($0.timeMs - Self.base) / 60_000 }
        #expect(closed == [10, 25])
        #expect(out.contains { $0.gap == PulseV1.SequenceGap(symbol: "FOLD", firstMissing: 31, lastMissing: 35) })
        // Known incomplete from their first minute, bars one and five never even show as forming.
        #expect(!out.contains { !$0.barClosed && [0, 20].contains(($0.timeMs - Self.base) / 60_000) })
    }

    @Test("a late closed minute of a recent bar revises it and the bar after it; a quiet bar closes after its end")
    func revisionsAndQuietBars() throws {
        var folder = try Self.buckets()
        var out: [PulseV1.IndicatorUpdate] = []
        for k in Int64(0)...9 {
            out += folder.take(Self.minute(k, closed: true, price: Double(k), sequence: UInt64(k + 1)))
        }
        // Minute 3 again with a new high (a late trade).
        var late = Self.minute(3, closed: true, price: 3, sequence: 20)
        late.bar?.high = 100
        late.revision = 1
        let revised = folder.take(late)
        #expect(revised.map(\.revision) == [1, 1])
        #expect(revised.map(\.timeMs) == [Self.base, Self.base + 300_000])
        #expect(revised[0].bar?.high == 100 && revised[1].values == out.filter(\.barClosed)[1].values)
        // Bar three has one minute and no later one: it closes 2 s after its end, not before.
        _ = folder.take(Self.minute(11, closed: true, price: 7, sequence: 21))
        let end = Self.base + 900_000
        #expect(folder.closeDue(nowMs: end + 1_999).isEmpty)
        let quiet = folder.closeDue(nowMs: end + 2_000)
        #expect(quiet.count == 1 && quiet[0].barClosed && quiet[0].timeMs == Self.base + 600_000)
        // Bar four's only minute never closed by its grace: nothing to close. Its close arriving after bar five
        // began is ignored, and bar five stays whole.
        _ = folder.take(Self.minute(16, closed: false, price: 8, sequence: 22))
        #expect(folder.closeDue(nowMs: Self.base + 1_200_000 + 2_000).isEmpty)
        var later: [PulseV1.IndicatorUpdate] = []
        later += folder.take(Self.minute(20, closed: true, price: 9, sequence: 23))
        later += folder.take(Self.minute(16, closed: true, price: 8, sequence: 24))
        for k in Int64(21)...24 { later += folder.take(Self.minute(k, closed: true, price: 9, sequence: 25)) }
        let five = later.filter(\.barClosed)
        #expect(five.map(\.timeMs) == [Self.base + 1_200_000] && five.first?.bar?.open == 9)
        #expect(five.first?.bar?.volume == 5)
    }
}
