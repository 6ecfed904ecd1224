import Logging
import PulseMarketData
import PulseStore

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

/// The SQS-triggered Lambda (the same processing as `pulse worker`'s ``SQSEventWorker``): each record's "bars ingested"
/// event goes to the processor; the records that failed are answered in `batchItemFailures`, so SQS delivers
/// only those again (and, past the queue's `maxReceiveCount`, moves them to its dead-letter queue).
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
        let failed = await processor.process(
            event.records.map { BarsIngestedMessage(id: $0.messageID, body: $0.body) })
        let counts = Dictionary(event.records.map { ($0.messageID, $0.receiveCount) }) { first, _ in first }
        for failure in failed {
            logger.error("message \(failure.id) (receive \(counts[failure.id] ?? 1)) failed: \(failure.reason)")
        }
        return Array(SQSEvent.batchResponse(failed: failed.map(\.id)).json.utf8)
    }
}
