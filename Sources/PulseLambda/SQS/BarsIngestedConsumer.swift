import Logging
import PulseMarketData
import PulseStore

/// What a "bars ingested" event makes stale. Must be idempotent: SQS delivers at least once.
public protocol BarsIngestedProcessor: Sendable {
    func process(_ event: BarsIngestedEvent) async throws
}

/// Drops the symbol's derived values in Redis (``MarketCache``: the server's cached `Indicators.Compute`
/// results), so the next request recomputes them from the new bars. Doing it twice drops nothing more: a
/// redelivery is harmless. (The screener reads stored bars at query time and keeps nothing to refresh.)
public struct DerivedDataInvalidation: BarsIngestedProcessor {
    public let cache: MarketCache
    public init(cache: MarketCache) { self.cache = cache }

    public func process(_ event: BarsIngestedEvent) async throws {
        try await cache.invalidate(event.symbol)
    }
}

/// The SQS-triggered Lambda (and the same logic `pulse worker` would run): each record's "bars ingested"
/// event goes to the processor; the records that failed are answered in `batchItemFailures`, so SQS delivers
/// only those again (and, past the queue's `maxReceiveCount`, moves them to its dead-letter queue). A body
/// that is not a version-1 event fails too: retrying cannot fix it, and the dead-letter queue keeps it for a
/// person rather than deleting data nobody read.
public struct BarsIngestedConsumer: LambdaHandler {
    public let processor: any BarsIngestedProcessor
    public var logger: Logger

    public init(processor: any BarsIngestedProcessor, logger: Logger = Logger(label: "pulse.lambda.sqs")) {
        self.processor = processor
        self.logger = logger
    }

    public func handle(_ payload: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(payload)
        } catch {
            throw LambdaFunctionError.badEvent("the event is not JSON: \(error)")
        }
        let event = try SQSEvent.decode(json)
        var failed: [String] = []
        for record in event.records {
            guard let ingested = BarsIngestedEvent(json: record.body) else {
                logger.warning(
                    "message \(record.messageID) (receive \(record.receiveCount)) is not a bars_ingested v1 event")
                failed.append(record.messageID)
                continue
            }
            do {
                try await processor.process(ingested)
            } catch {
                logger.error("message \(record.messageID) for \(ingested.symbol) failed: \(error)")
                failed.append(record.messageID)
            }
        }
        return Array(SQSEvent.batchResponse(failed: failed).json.utf8)
    }
}
