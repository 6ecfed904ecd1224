import PulseProtocol
import Testing

@testable import PulseMarketData

@Suite("LiveBars")
struct LiveBarsTests {
    /// Minute 100 of the epoch, so the numbers stay readable.
    let base: Int64 = 100 * 60_000

    func tick(_ sequence: UInt64, _ offsetMs: Int64, _ price: Double, size: Double = 1, ingestMs: Int64 = 0)
        -> PulseV1.Tick
    {
        var tick = PulseV1.Tick(symbol: "X", sequence: sequence, timeMs: base + offsetMs, price: price, size: size)
        tick.ingestTimeUs = ingestMs * 1000
        return tick
    }

    @Test("a late tick revises its closed minute: high, volume and revision move, the close stays the latest trade")
    func lateTickRevises() {
        var bars = LiveBars(symbol: "X", firstMinuteComplete: true)
        #expect(bars.add(tick(1, 1_000, 10)) == nil)
        #expect(bars.add(tick(2, 50_000, 11)) == nil)
        let closed = bars.add(tick(3, 61_000, 12))
        #expect(closed?.bar.timeMs == base && closed?.revision == 0)
        #expect(closed?.bar.close == 11 && closed?.bar.high == 11 && closed?.bar.volume == 2)
        let revised = bars.add(tick(4, 30_000, 13, size: 2))
        #expect(revised?.bar.timeMs == base && revised?.revision == 1 && revised?.lastSequence == 4)
        #expect(revised?.bar.high == 13 && revised?.bar.close == 11 && revised?.bar.volume == 4)
    }

    @Test("without firstMinuteComplete the first minute seen is never announced; with it, it is")
    func firstMinute() {
        var partial = LiveBars(symbol: "X")
        _ = partial.add(tick(5, 1_000, 10))
        #expect(partial.add(tick(6, 61_000, 11)) == nil)
        var whole = LiveBars(symbol: "X", firstMinuteComplete: true)
        _ = whole.add(tick(5, 1_000, 10))
        #expect(whole.add(tick(6, 61_000, 11))?.bar.timeMs == base)
    }

    @Test("addAsIngested closes a minute the clock had closed before the tick arrived, so the tick revises it")
    func clockAtIngestTime() {
        var bars = LiveBars(symbol: "X", firstMinuteComplete: true)
        _ = bars.addAsIngested(tick(1, 1_000, 10, ingestMs: base + 1_000))
        // Ingested 62 s after the minute opened (past its end plus the 1 s close delay), stamped inside it.
        let announced = bars.addAsIngested(tick(2, 59_000, 9, ingestMs: base + 62_000))
        #expect(announced.map(\.revision) == [0, 1])
        #expect(announced.last?.bar.low == 9 && announced.last?.bar.volume == 2)
        // Ingested in time: folded into the forming bar, nothing announced.
        var onTime = LiveBars(symbol: "X", firstMinuteComplete: true)
        _ = onTime.addAsIngested(tick(1, 1_000, 10, ingestMs: base + 1_000))
        #expect(onTime.addAsIngested(tick(2, 59_000, 9, ingestMs: base + 60_500)).isEmpty)
    }

    @Test("a jump in sequence numbers leaves the minutes it spans unannounced, closing and revising; later ones are")
    func lostTicks() {
        var bars = LiveBars(symbol: "X", firstMinuteComplete: true)
        _ = bars.add(tick(1, 1_000, 10))
        // Ticks 3–5 never arrive: they may lie in minute 1 (where 2 was) or minute 2 (where 6 is).
        _ = bars.add(tick(2, 61_000, 11))
        #expect(bars.add(tick(6, 121_000, 12)) == nil, "minute 1 holds the last tick before the jump")
        #expect(bars.add(tick(7, 70_000, 13)) == nil, "a revision of a minute the jump spans")
        let afterSpan = bars.add(tick(8, 181_000, 14))
        #expect(afterSpan == nil, "minute 2 holds the first tick after the jump")
        let whole = bars.add(tick(9, 241_000, 15))
        #expect(whole?.bar.timeMs == base + 180_000 && whole?.bar.close == 14)
        // A jump within one minute: only that minute is lost.
        _ = bars.add(tick(11, 250_000, 16))
        #expect(bars.add(tick(12, 301_000, 17)) == nil)
        #expect(bars.add(tick(13, 361_000, 18))?.bar.timeMs == base + 300_000)
    }
}
