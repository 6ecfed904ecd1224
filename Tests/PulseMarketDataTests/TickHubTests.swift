import PulseProtocol
import Testing

@testable import PulseMarketData

@Suite("In-process tick fan-out with conflation")
struct TickHubTests {
    private func tick(_ symbol: String, _ sequence: UInt64) -> PulseV1.Tick {
        PulseV1.Tick(symbol: symbol, sequence: sequence, timeMs: Int64(sequence), price: Double(sequence))
    }

    @Test("a subscriber that keeps up gets every tick in order")
    func fastSubscriber() async {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["AAPL"])
        let reader = Task { () -> [UInt64] in
            var seen: [UInt64] = []
            for await event in subscription {
                guard let tick = event.tick else { continue }
                seen.append(tick.sequence)
                #expect(tick.conflated == 0)
                if tick.sequence == 200 { break }
            }
            return seen
        }
        for n in 1...200 {
            hub.publish(tick("AAPL", UInt64(n)))
            // Publish only once the reader has taken the last tick, so it never falls behind.
            while subscription.mailbox.hasPending { await Task.yield() }
            try? await Task.sleep(for: .microseconds(200))
        }
        let seen = await reader.value
        #expect(seen == Array(1...200))
    }

    @Test("a slow subscriber holds one tick per symbol; sequence = last + 1 + conflated, nothing lost")
    func slowSubscriberConflates() async {
        let hub = TickHub()
        let slow = hub.subscribe(to: ["AAPL", "MSFT"])
        for n in 1...1_000 {
            hub.publish(tick("AAPL", UInt64(n)))
            hub.publish(tick("MSFT", UInt64(n)))
            hub.publish(tick("GOOG", UInt64(n)))  // nobody asked for it
        }
        var iterator = slow.makeAsyncIterator()
        let first = await iterator.next()?.tick
        let second = await iterator.next()?.tick
        #expect(first?.symbol == "AAPL" && first?.sequence == 1_000 && first?.conflated == 999)
        #expect(second?.symbol == "MSFT" && second?.sequence == 1_000 && second?.conflated == 999)
        #expect(slow.conflatedTotal == 2 * 999)
        // More ticks after catching up: delivered with their own counts.
        hub.publish(tick("AAPL", 1_001))
        hub.publish(tick("AAPL", 1_002))
        let third = await iterator.next()?.tick
        #expect(third?.sequence == 1_002 && third?.conflated == 1)
        slow.close()
        #expect(await iterator.next() == nil)
        #expect(hub.subscriberCount == 0)
    }

    @Test("conflating an already conflated tick adds both counts")
    func upstreamConflation() async {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["SPY"])
        var upstream = tick("SPY", 10)
        upstream.conflated = 4  // replaced 5…8 (and 9 below) upstream
        hub.publish(tick("SPY", 5))
        hub.publish(upstream)
        var iterator = subscription.makeAsyncIterator()
        let got = await iterator.next()?.tick
        #expect(got?.sequence == 10 && got?.conflated == 5)
        subscription.close()
    }

    @Test("cancelling the reading task ends the subscription and the hub forgets it")
    func cancellation() async {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["AAPL"])
        let reader = Task { () -> Int in
            var count = 0
            for await _ in subscription { count += 1 }
            return count
        }
        hub.publish(tick("AAPL", 1))
        try? await Task.sleep(for: .milliseconds(50))
        reader.cancel()
        let count = await reader.value
        #expect(count <= 1)
        #expect(hub.subscriberCount == 0)
        hub.publish(tick("AAPL", 2))  // no one left: nothing to do
    }

    @Test("one slow subscriber does not hold back another")
    func isolation() async {
        let hub = TickHub()
        let slow = hub.subscribe(to: ["AAPL"])
        let fast = hub.subscribe(to: ["AAPL"])
        let reader = Task { () -> UInt64 in
            var last: UInt64 = 0
            var accounted: UInt64 = 0
            for await event in fast {
                guard let tick = event.tick else { continue }
                accounted += 1 + UInt64(tick.conflated)
                last = tick.sequence
                if last == 5_000 { break }
            }
            return accounted
        }
        for n in 1...5_000 { hub.publish(tick("AAPL", UInt64(n))) }
        #expect(await reader.value == 5_000)
        var iterator = slow.makeAsyncIterator()
        #expect(await iterator.next()?.tick?.conflated == 4_999)
        slow.close()
    }

    @Test("a replaced tick's size and price extremes fold into the one that replaces it, per symbol")
    func conflationFoldsSizeAndRange() async {
        let hub = TickHub()
        let slow = hub.subscribe(to: ["AAPL", "MSFT"])
        let prices: [Double] = [10, 12, 9, 11, 10.5]
        for (n, price) in prices.enumerated() {
            var aapl = PulseV1.Tick(
                symbol: "AAPL", sequence: UInt64(n + 1), timeMs: 0, price: price, size: Double(n + 1))
            aapl.ingestTimeUs = 1
            hub.publish(aapl)
            // MSFT in between must never evict AAPL's pending tick.
            hub.publish(PulseV1.Tick(symbol: "MSFT", sequence: UInt64(n + 1), timeMs: 0, price: 300, size: 1))
        }
        var iterator = slow.makeAsyncIterator()
        let aapl = await iterator.next()?.tick
        let msft = await iterator.next()?.tick
        // By hand: the last AAPL tick (10.5 × 5) replaces 4 ticks of sizes 1+2+3+4, prices 10, 12, 9, 11.
        #expect(aapl?.sequence == 5 && aapl?.conflated == 4 && aapl?.size == 5)
        #expect(aapl?.conflatedSize == 10 && aapl?.conflatedHigh == 12 && aapl?.conflatedLow == 9)
        #expect(msft?.sequence == 5 && msft?.conflated == 4 && msft?.conflatedSize == 4)
        slow.close()
    }

    @Test("a tick at or below the last published sequence is dropped (two paths never deliver one twice)")
    func duplicatesAreDropped() async {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["AAPL"])
        #expect(hub.publish(tick("AAPL", 1)))
        #expect(!hub.publish(tick("AAPL", 1), origin: .follower))
        #expect(hub.publish(tick("AAPL", 2), origin: .follower))
        var iterator = subscription.makeAsyncIterator()
        #expect(await iterator.next()?.tick?.conflated == 1)
        #expect(hub.lastSequence("AAPL") == 2)
        subscription.close()
    }

    @Test("a run published in one step gives the quote tick-by-tick publishing gives, across a session change")
    func runPublishing() async {
        // Two US/Eastern sessions: 2 March 2026 10:00, 10:00:01 and 15:00 ET, then 3 March 10:00 and 10:30 ET.
        let times: [Int64] = [
            1_772_463_600_000, 1_772_463_601_000, 1_772_481_600_000, 1_772_550_000_000, 1_772_551_800_000,
        ]
        let prices = [10.0, 12.0, 9.0, 11.0, 13.0]
        let sizes = [100.0, 200.0, 300.0, 40.0, 50.0]
        let ticks = (0..<5).map {
            PulseV1.Tick(symbol: "RUN", sequence: UInt64(3 + $0), timeMs: times[$0], price: prices[$0], size: sizes[$0])
        }
        let hub = TickHub()
        #expect(hub.publish(tick("RUN", 3)))  // already published: the run's first tick is dropped
        #expect(hub.publish(ticks, of: "RUN") == 4)
        #expect(hub.lastSequence("RUN") == 7)
        #expect(hub.publish(Array(ticks.prefix(2)), of: "RUN") == 0)
        let quote = hub.latest.quote("RUN")
        #expect(quote?.sequence == 7)
        #expect(quote?.price == 13)
        #expect(quote?.previousClose == 9)
        #expect(quote?.open == 11)
        #expect(quote?.high == 13)
        #expect(quote?.low == 11)
        #expect(quote?.volume == 90)

        let oneByOne = TickHub()
        oneByOne.publish(tick("RUN", 3))
        for tick in ticks { oneByOne.publish(tick) }
        #expect(oneByOne.latest.quote("RUN") == quote)
    }

    @Test("a run of a watched symbol reaches its subscriber tick by tick")
    func runPublishingWithSubscriber() async {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["AAPL"])
        #expect(hub.publish([tick("AAPL", 1), tick("AAPL", 2)], of: "AAPL") == 2)
        var iterator = subscription.makeAsyncIterator()
        let delivered = await iterator.next()?.tick
        #expect(delivered?.sequence == 2)
        #expect(delivered?.conflated == 1)
        #expect(hub.publish([tick("AAPL", 2), tick("AAPL", 1)], of: "AAPL") == 0)  // out of order: each judged alone
        subscription.close()
    }

    @Test("bars reach subscribers that asked for them, before the tick that closed them")
    func liveBars() async {
        let hub = TickHub()
        let withBars = hub.subscribe(to: ["SPY"], bars: true)
        let without = hub.subscribe(to: ["SPY"])
        func at(_ sequence: UInt64, _ ms: Int64, _ price: Double) -> PulseV1.Tick {
            PulseV1.Tick(symbol: "SPY", sequence: sequence, timeMs: ms, price: price, size: 1)
        }
        hub.publish(at(1, 30_000, 1))  // minute 0: the first seen, incomplete, never announced
        hub.publish(at(2, 60_000, 5))  // minute 1 opens
        hub.publish(at(3, 61_000, 7))
        hub.publish(at(4, 120_000, 6))  // closes minute 1
        var iterator = withBars.makeAsyncIterator()
        guard case .bar(let bar)? = await iterator.next()?.event else {
            Issue.record("expected a bar first")
            return
        }
        #expect(bar.bar.timeMs == 60_000 && bar.bar.open == 5 && bar.bar.high == 7 && bar.bar.close == 7)
        #expect(bar.bar.volume == 2 && bar.revision == 0 && bar.lastSequence == 3)
        #expect(await iterator.next()?.tick?.sequence == 4)
        hub.publish(at(5, 60_500, 9))  // late (and earlier than the close in market time): revises minute 1
        guard case .bar(let revised)? = await iterator.next()?.event else {
            Issue.record("expected the revised bar")
            return
        }
        #expect(revised.revision == 1 && revised.bar.high == 9 && revised.bar.close == 7 && revised.bar.volume == 3)
        #expect(await iterator.next()?.tick?.sequence == 5)
        hub.closeBars(upTo: 181_000)
        guard case .bar(let clockClosed)? = await iterator.next()?.event else {
            Issue.record("expected the clock to close minute 2")
            return
        }
        #expect(clockClosed.bar.timeMs == 120_000 && clockClosed.bar.volume == 1)
        var plain = without.makeAsyncIterator()
        #expect(await plain.next()?.tick?.sequence == 5)
        withBars.close()
        without.close()
    }

    @Test("wake() makes a waiting reader return idle, so a timer can send heartbeats")
    func wakeReturnsIdle() async {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["AAPL"])
        subscription.wake()
        guard case .idle = await subscription.next() else {
            Issue.record("expected idle")
            return
        }
        hub.publish(tick("AAPL", 1))
        guard case .event = await subscription.next() else {
            Issue.record("expected the tick")
            return
        }
        subscription.close()
    }
}

@Suite("TickHub bookkeeping")
struct TickHubBookkeepingTests {
    @Test("symbols asked for but never published are forgotten when their last subscriber leaves")
    func unknownSymbolsAreForgotten() {
        let hub = TickHub()
        let subscription = hub.subscribe(to: ["NOPE", "AAPL"])
        hub.publish(PulseV1.Tick(symbol: "AAPL", sequence: 1, timeMs: 0, price: 1))
        #expect(hub.subscribedSymbols == ["NOPE", "AAPL"])
        subscription.close()
        #expect(hub.subscribedSymbols.isEmpty)
        #expect(hub.lastSequence("AAPL") == 1)  // kept: the duplicate filter still needs it
        #expect(hub.lastSequence("NOPE") == 0)
    }
}
