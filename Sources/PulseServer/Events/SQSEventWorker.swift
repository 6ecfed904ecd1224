import Logging
import PulseMarketData
import ServiceLifecycle

/// `pulse worker`: the consumer of "bars ingested" events on SQS, the long-running twin of the SQS-triggered
/// Lambda (the same ``BarsIngestedProcessor``). It long-polls the queue, processes each message and deletes those
/// processed; a failed one is left to come back after the queue's visibility timeout and, past its
/// `maxReceiveCount`, to go to its dead-letter queue. A batch being processed when the shutdown comes is finished
/// and deleted first; a long poll in flight is abandoned (its messages, if any, come back).
///
/// ```swift
/// let worker = SQSEventWorker(sqs: sqs, queueURL: queue, processor: recomputer, logger: logger)
/// try await ProcessLifecycle(parts: [worker], logger: logger).run()
/// ```
public struct SQSEventWorker: Service {
    public let sqs: SQSClient
    public let queueURL: String
    public let processor: any BarsIngestedProcessor
    /// Long-poll wait, 0…20 s.
    public var waitSeconds = 20
    /// How long a received message stays hidden from other consumers; nil: the queue's own setting.
    public var visibilityTimeout: Int?
    /// Called after each batch with how many messages were processed and deleted, and how many failed.
    public var onBatch: @Sendable (_ processed: Int, _ failed: Int) -> Void = { _, _ in }
    let logger: Logger

    public init(sqs: SQSClient, queueURL: String, processor: any BarsIngestedProcessor, logger: Logger) {
        self.sqs = sqs
        self.queueURL = queueURL
        self.processor = processor
        self.logger = logger
    }

    public func run() async throws {
        let polling = Task { await poll() }
        try? await gracefulShutdown()
        polling.cancel()
        await polling.value
    }

    private func poll() async {
        var backoff: Duration = .milliseconds(200)
        while !Task.isCancelled {
            let messages: [SQSMessage]
            do {
                messages = try await sqs.receiveMessages(
                    queueURL: queueURL, maximum: 10, waitSeconds: waitSeconds, visibilityTimeout: visibilityTimeout)
                backoff = .milliseconds(200)
            } catch {
                if Task.isCancelled { return }
                logger.warning("SQS receive failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(20))
                continue
            }
            guard !messages.isEmpty else { continue }
            // Not cancelled by a shutdown: a batch taken is processed and deleted, not left half done.
            let finished = Task { await handle(messages) }
            await finished.value
        }
    }

    private func handle(_ messages: [SQSMessage]) async {
        let failed = await processor.process(messages.map { BarsIngestedMessage(id: $0.messageID, body: $0.body) })
        let failedIDs = Set(failed.map(\.id))
        for failure in failed {
            let count = messages.first { $0.messageID == failure.id }?.receiveCount ?? 1
            logger.error(
                "message failed; left for redelivery",
                metadata: ["message": "\(failure.id)", "receive": "\(count)", "reason": "\(failure.reason)"])
        }
        var deleted = 0
        for message in messages where !failedIDs.contains(message.messageID) {
            do {
                try await sqs.deleteMessage(queueURL: queueURL, receiptHandle: message.receiptHandle)
                deleted += 1
            } catch {
                // It comes back and is processed again, which the processor's idempotence makes harmless.
                logger.warning("SQS delete failed", metadata: ["message": "\(message.messageID)", "error": "\(error)"])
            }
        }
        onBatch(deleted, failed.count)
    }
}
