import Logging
import PulseMarketData
import PulseStore
import Synchronization
import Testing

@testable import PulseServer

/// A processor that records what it got and fails the first `failures` calls for a symbol.
private final class RecordingProcessor: BarsIngestedProcessor {
    let received = Mutex<[BarsIngestedEvent]>([])
    let failuresLeft: Mutex<[String: Int]>
    let gate: Mutex<Bool>

    init(failures: [String: Int] = [:], open: Bool = true) {
        failuresLeft = Mutex(failures)
        gate = Mutex(open)
    }

    func process(_ event: BarsIngestedEvent) async throws {
        while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let fail = failuresLeft.withLock { left -> Bool in
            guard let count = left[event.symbol], count > 0 else { return false }
            left[event.symbol] = count - 1
            return true
        }
        if fail { throw BarsIngestedTestError.refused }
        received.withLock { $0.append(event) }
    }
}

private enum BarsIngestedTestError: Error { case refused }

private func event(_ symbol: String, _ from: Int64, _ to: Int64, count: Int, timeframe: String = "1m")
    -> BarsIngestedEvent
{
    BarsIngestedEvent(symbol: symbol, timeframe: timeframe, from: from, to: to, count: count)
}

/// Runs `delivery` as its own task until `until` holds (at most 10 s), then cancels it.
private func run(_ delivery: BarsIngestedDelivery, until: @escaping @Sendable () -> Bool) async throws {
    let task = Task { try await delivery.run() }
    let deadline = ContinuousClock.now + .seconds(10)
    while !until() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    task.cancel()
    _ = try? await task.value
}

@Suite("Bars-ingested events: merging, retries, bounds")
struct BarsIngestedDeliveryTests {
    @Test("Events waiting for a busy processor merge per symbol and timeframe: union of ranges, sum of counts")
    func merging() async throws {
        let processor = RecordingProcessor(open: false)
        let delivery = BarsIngestedDelivery(target: .processor(processor), logger: Logger(label: "test"))
        let task = Task { try await delivery.run() }
        delivery.publish(event("AAA", 600, 660, count: 2))
        try await Task.sleep(for: .milliseconds(50))  // AAA is taken and blocks in the processor
        delivery.publish(event("BBB", 120, 120, count: 1))
        delivery.publish(event("BBB", 60, 60, count: 1))
        delivery.publish(event("BBB", 180, 240, count: 2))
        delivery.publish(event("BBB", 86_400, 86_400, count: 1, timeframe: "1d"))
        processor.gate.withLock { $0 = true }
        let deadline = ContinuousClock.now + .seconds(10)
        while processor.received.withLock({ $0.count }) < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        _ = try? await task.value
        let got = processor.received.withLock { $0 }
        #expect(
            got == [
                event("AAA", 600, 660, count: 2), event("BBB", 60, 240, count: 4),
                event("BBB", 86_400, 86_400, count: 1, timeframe: "1d"),
            ])
        #expect(delivery.deliveredCount == 3)
    }

    @Test("A failing processor is retried with backoff; one that keeps failing is dropped after its attempts")
    func retries() async throws {
        let processor = RecordingProcessor(failures: ["FLAKY": 2, "BROKEN": 100])
        let delivery = BarsIngestedDelivery(
            target: .processor(processor), processorAttempts: 3, logger: Logger(label: "test"))
        delivery.publish(event("BROKEN", 0, 0, count: 1))
        delivery.publish(event("FLAKY", 60, 60, count: 1))
        delivery.publish(event("FINE", 120, 120, count: 1))
        try await run(delivery) { processor.received.withLock { $0.count } == 2 && delivery.deliveredCount == 2 }
        // Let the backoff run out the broken one's attempts too (100 + 200 + 400 ms).
        try await Task.sleep(for: .milliseconds(100))
        let got = Set(processor.received.withLock { $0 }.map(\.symbol))
        #expect(got == ["FLAKY", "FINE"])
        #expect(processor.failuresLeft.withLock { $0["FLAKY"] } == 0)
    }

    @Test("Beyond its capacity of symbols the oldest waiting event is dropped, never unbounded memory")
    func bounded() async throws {
        let processor = RecordingProcessor()
        let delivery = BarsIngestedDelivery(target: .processor(processor), capacity: 3, logger: Logger(label: "test"))
        for (index, symbol) in ["S1", "S2", "S3", "S4", "S5"].enumerated() {
            delivery.publish(event(symbol, Int64(index) * 60, Int64(index) * 60, count: 1))
        }
        try await run(delivery) { processor.received.withLock { $0.count } == 3 }
        #expect(processor.received.withLock { $0 }.map(\.symbol) == ["S3", "S4", "S5"])
    }

    @Test("What waits at shutdown is still delivered within the grace")
    func drainsAtShutdown() async throws {
        let processor = RecordingProcessor()
        let delivery = BarsIngestedDelivery(target: .processor(processor), logger: Logger(label: "test"))
        delivery.publish(event("LAST", 0, 59, count: 1))
        let task = Task { try await delivery.run() }
        task.cancel()  // a cancelled lifecycle: the delivery loop stops at once, the final drain still runs
        _ = try? await task.value
        #expect(processor.received.withLock { $0 } == [event("LAST", 0, 59, count: 1)])
    }

    @Test("The event of a write spans its first and last bar, in whole seconds, and a write of nothing has none")
    func written() {
        let bars = PulseStore.StoredBars(
            timestamps: [120_000_000, -1_500_000, 60_000_000], open: [1, 1, 1], high: [1, 1, 1], low: [1, 1, 1],
            close: [1, 1, 1], volume: [0, 0, 0])
        #expect(
            BarsIngestedEvent.written(symbol: "X", timeframe: "1m", bars: bars, rows: 3)
                == event("X", -2, 120, count: 3))
        #expect(BarsIngestedEvent.written(symbol: "X", timeframe: "1m", bars: bars, rows: 0) == nil)
        let roundTrip = BarsIngestedEvent(json: event("X", -2, 120, count: 3).json)
        #expect(roundTrip == event("X", -2, 120, count: 3))
    }
}
