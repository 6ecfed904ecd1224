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
            for await tick in subscription {
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
        let first = await iterator.next()
        let second = await iterator.next()
        #expect(first?.symbol == "AAPL" && first?.sequence == 1_000 && first?.conflated == 999)
        #expect(second?.symbol == "MSFT" && second?.sequence == 1_000 && second?.conflated == 999)
        #expect(slow.conflatedTotal == 2 * 999)
        // More ticks after catching up: delivered with their own counts.
        hub.publish(tick("AAPL", 1_001))
        hub.publish(tick("AAPL", 1_002))
        let third = await iterator.next()
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
        let got = await iterator.next()
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
            for await tick in fast {
                accounted += 1 + UInt64(tick.conflated)
                last = tick.sequence
                if last == 5_000 { break }
            }
            return accounted
        }
        for n in 1...5_000 { hub.publish(tick("AAPL", UInt64(n))) }
        #expect(await reader.value == 5_000)
        var iterator = slow.makeAsyncIterator()
        #expect(await iterator.next()?.conflated == 4_999)
        slow.close()
    }
}
