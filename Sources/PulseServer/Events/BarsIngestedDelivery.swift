import Logging
import PulseMarketData
import ServiceLifecycle
import Synchronization

/// Delivers the "bars ingested" events of this process: to an SQS queue when `PULSE_SQS_QUEUE_URL` is set (for
/// `pulse worker` or the SQS-triggered Lambda), else straight to a processor in-process (``DerivedDataRecomputer``).
///
/// `publish` only queues. Waiting events are merged per symbol and timeframe, so a feed writing a minute of bars
/// for 100 symbols every minute sends 100 events however long a delivery takes, and what waits is bounded by the
/// symbols ingested (``capacity`` beyond that: the oldest is dropped with a warning). A failed delivery is retried
/// with backoff — for SQS until it succeeds, for a processor ``processorAttempts`` times — and at shutdown what is
/// left gets one more try within ``shutdownGrace``. An event lost anyway costs only a cold cache: cached results
/// are keyed by the symbol's data version, so a stale one is never served.
///
/// ```swift
/// let events = BarsIngestedDelivery(target: .sqs(sqs, queueURL: queue), logger: logger)
/// events.publish(BarsIngestedEvent(symbol: "IBM", timeframe: "1m", from: first, to: last, count: 390))
/// // a part of ProcessLifecycle: delivers until shutdown
/// ```
public final class BarsIngestedDelivery: BarsIngestedSink, Service {
    public enum Target: Sendable {
        case sqs(SQSClient, queueURL: String)
        case processor(any BarsIngestedProcessor)
    }

    public let target: Target
    public let capacity: Int
    public let processorAttempts: Int
    public let shutdownGrace: Duration
    private let logger: Logger
    private let pending = Mutex(Pending())
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let delivered = Atomic<Int>(0)

    public init(
        target: Target, capacity: Int = 10_000, processorAttempts: Int = 5, shutdownGrace: Duration = .seconds(5),
        logger: Logger
    ) {
        self.target = target
        self.capacity = max(1, capacity)
        self.processorAttempts = max(1, processorAttempts)
        self.shutdownGrace = shutdownGrace
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Events handed to SQS or processed so far (merged events count once).
    public var deliveredCount: Int { delivered.load(ordering: .relaxed) }

    public func publish(_ event: BarsIngestedEvent) {
        let dropped = pending.withLock { $0.add(event, attempts: 0, capacity: capacity) }
        if let dropped {
            logger.warning(
                "bars-ingested events back up: dropped the oldest", metadata: ["symbol": "\(dropped.symbol)"])
        }
        wake.yield()
    }

    public func run() async throws {
        let delivering = Task { await deliverUntilCancelled() }
        try? await gracefulShutdown()
        delivering.cancel()
        await delivering.value
        // What ingestion committed last (the feed's final minutes) still goes out, within the grace.
        let grace = Task { await deliverWaiting() }
        let deadline = Task {
            try? await Task.sleep(for: shutdownGrace)
            grace.cancel()
        }
        await grace.value
        deadline.cancel()
        let left = pending.withLock { $0.count }
        if left > 0 { logger.warning("bars-ingested events not delivered at shutdown", metadata: ["count": "\(left)"]) }
    }

    private func deliverUntilCancelled() async {
        for await _ in wakes {
            await deliverWaiting()
            if Task.isCancelled { return }
        }
    }

    /// Delivers until nothing waits, backing off while deliveries fail; returns early when cancelled.
    private func deliverWaiting() async {
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            let batch = pending.withLock { $0.take(10) }
            if batch.isEmpty { return }
            let failed = await deliver(batch.map(\.event))
            delivered.add(batch.count - failed.count, ordering: .relaxed)
            guard !failed.isEmpty else {
                backoff = .milliseconds(100)
                continue
            }
            let retry = failed.map { batch[$0] }.filter { entry in
                if case .processor = target, entry.attempts + 1 >= processorAttempts {
                    logger.error(
                        "bars-ingested event dropped after \(processorAttempts) attempts",
                        metadata: ["symbol": "\(entry.event.symbol)"])
                    return false
                }
                return true
            }
            pending.withLock { state in
                for entry in retry { _ = state.add(entry.event, attempts: entry.attempts + 1, capacity: capacity) }
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Indexes into `events` of those not delivered.
    private func deliver(_ events: [BarsIngestedEvent]) async -> [Int] {
        switch target {
        case .sqs(let sqs, let queue):
            do {
                return try await sqs.sendMessageBatch(queueURL: queue, bodies: events.map(\.json))
            } catch {
                logger.warning("bars-ingested events not sent to SQS", metadata: ["error": "\(error)"])
                return Array(events.indices)
            }
        case .processor(let processor):
            var failed: [Int] = []
            for (index, event) in events.enumerated() {
                do {
                    try await processor.process(event)
                } catch {
                    logger.warning(
                        "bars-ingested event not processed",
                        metadata: ["symbol": "\(event.symbol)", "error": "\(error)"])
                    failed.append(index)
                }
            }
            let done = events.indices.filter { !failed.contains($0) }.map { events[$0] }
            if !done.isEmpty { await processor.processed(done) }
            return failed
        }
    }

    /// Waiting events, one per symbol and timeframe, oldest first.
    struct Pending {
        struct Key: Hashable {
            var symbol: String
            var timeframe: String
        }
        struct Entry {
            var event: BarsIngestedEvent
            var attempts: Int
        }
        private var order: [Key] = []
        private var entries: [Key: Entry] = [:]

        var count: Int { entries.count }

        /// Adds or merges `event`; returns the event dropped to stay within `capacity`, if any.
        mutating func add(_ event: BarsIngestedEvent, attempts: Int, capacity: Int) -> BarsIngestedEvent? {
            let key = Key(symbol: event.symbol, timeframe: event.timeframe)
            if let waiting = entries[key] {
                entries[key] = Entry(
                    event: waiting.event.merged(with: event), attempts: min(waiting.attempts, attempts))
                return nil
            }
            entries[key] = Entry(event: event, attempts: attempts)
            order.append(key)
            guard entries.count > capacity else { return nil }
            let oldest = order.removeFirst()
            return entries.removeValue(forKey: oldest)?.event
        }

        mutating func take(_ limit: Int) -> [Entry] {
            let keys = order.prefix(limit)
            order.removeFirst(keys.count)
            return keys.compactMap { entries.removeValue(forKey: $0) }
        }
    }
}

/// The queue "bars ingested" events go to (`PULSE_SQS_QUEUE_URL`) and the AWS variables that reach it (region,
/// endpoint, credentials: ``SQSClient/environmentNames``).
public struct SQSEventSettings: Sendable {
    public var queueURL: String
    public var environment: [String: String]

    public init(queueURL: String, environment: [String: String]) {
        self.queueURL = queueURL
        self.environment = environment
    }
}
