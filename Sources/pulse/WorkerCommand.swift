import ArgumentParser
import Logging
import PulseIO
import PulseMarketData
import PulseServer
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse worker`: consumes the "bars ingested" events `pulse serve` sends to SQS (`PULSE_SQS_QUEUE_URL`) and
/// recomputes what depends on the new bars (``DerivedDataRecomputer``), until SIGTERM.
///
/// ```
/// PULSE_SQS_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/bars-ingested AWS_REGION=us-east-1 \
///     pulse worker --database-url postgresql://… --redis-url redis://127.0.0.1:6379
/// ```
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Consume \"bars ingested\" events from SQS and recompute cached indicators (until SIGTERM).")

    @Option(name: .long, help: "The queue (env PULSE_SQS_QUEUE_URL).")
    var queueURL: String?
    @Option(name: .long, help: "SQS endpoint (default AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, else AWS's).")
    var endpoint: String?
    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "Redis with the cache to recompute (env REDIS_URL).")
    var redisURL: String?
    @Option(name: .long, help: "Long-poll wait in seconds, 0-20.")
    var wait: Int = 20
    @Option(name: .long, help: "Seconds a received message stays hidden (default: the queue's).")
    var visibilityTimeout: Int?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info; env PULSE_LOG_LEVEL).")
    var logLevel: String?

    func run() async throws {
        guard (0...20).contains(wait) else { throw UsageError("--wait: 0 to 20 seconds") }
        if let visibilityTimeout, !(0...43_200).contains(visibilityTimeout) {
            throw UsageError("--visibility-timeout: 0 to 43200 seconds")
        }
        var environment: [String: String] = [:]
        for name in SQSClient.environmentNames + ["PULSE_SQS_QUEUE_URL", "REDIS_URL", "PULSE_LOG_LEVEL"] {
            if let raw = getenv(name), raw.pointee != 0 { environment[name] = String(cString: raw) }
        }
        guard let queue = queueURL ?? environment["PULSE_SQS_QUEUE_URL"] else {
            throw UsageError("give --queue-url or set PULSE_SQS_QUEUE_URL")
        }
        guard let redisText = redisURL ?? environment["REDIS_URL"] else {
            throw UsageError("give --redis-url or set REDIS_URL: the cache the events make stale lives there")
        }
        let redis: RedisConfiguration
        do {
            redis = try RedisConfiguration(url: redisText)
        } catch {
            throw UsageError("--redis-url: \(error.message)")
        }
        let postgres = try database.configuration()
        let levelText = logLevel ?? environment["PULSE_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw UsageError(
                "--log-level: '\(levelText)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pulse.worker")
        let runtime = try RecomputeRuntime(database: postgres, redis: redis, logger: logger)
        let http = try HTTPClient(loop: runtime.group.loops[0])
        do {
            let sqs = try SQSClient.fromEnvironment(environment, http: http, endpoint: endpoint)
            var worker = SQSEventWorker(sqs: sqs, queueURL: queue, processor: runtime.recomputer, logger: logger)
            worker.waitSeconds = wait
            worker.visibilityTimeout = visibilityTimeout
            logger.info("worker started")
            try await ProcessLifecycle(parts: [worker], logger: logger).run()
        } catch let error as SQSError {
            await http.close()
            await runtime.close()
            throw UsageError(error.message)
        } catch {
            await http.close()
            await runtime.close()
            throw error
        }
        await http.close()
        await runtime.close()
        logger.info("worker stopped")
    }
}
