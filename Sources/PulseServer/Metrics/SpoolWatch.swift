import Logging
import PulseMarketData
import PulseMetrics
import PulseRPC
import ServiceLifecycle
import Synchronization

/// What ``ServerApplication/observabilityParts`` adds to the server: interceptors first, then parts, the feed's
/// ingest counters and where the feed's spool is announced.
struct Observability {
    let interceptors: [any ServerInterceptor]
    let parts: [any Service]
    let ingest: (any IngestObserver)?
    let onSpool: @Sendable (SpoolingMinuteBars) -> Void
}

/// The feed's minute-bar spool, once open: exported as metrics and watched for drops.
final class SpoolWatch: Sendable {
    let spool = Mutex<SpoolingMinuteBars?>(nil)
    let logger: Logger
    private let exported = Mutex(SpoolingMinuteBars.Statistics())

    init(logger: Logger) { self.logger = logger }

    func export(to metrics: ServerMetrics) {
        guard let now = spool.withLock({ $0 })?.statistics else { return }
        let before = exported.withLock { state -> SpoolingMinuteBars.Statistics in
            defer { state = now }
            return state
        }
        metrics.gauge("pulse_spool_bars").set(Double(now.pending))
        metrics.gauge("pulse_spool_bytes").set(Double(now.bytes))
        metrics.counter("pulse_spool_spooled_total").increment(by: Int64(now.spooled - before.spooled))
        metrics.counter("pulse_spool_drained_total").increment(by: Int64(now.drained - before.drained))
        metrics.counter("pulse_spool_dropped_total").increment(by: Int64(now.dropped - before.dropped))
    }
}

/// Logs the spool's state once a second while it holds bars: a warning when it starts and ends spooling, and an
/// error for every second in which bars were dropped because the spool was full.
struct SpoolAlarmPart: Service {
    let watch: SpoolWatch

    func run() async throws {
        let watching = Task {
            var last = SpoolingMinuteBars.Statistics()
            while !Task.isCancelled {
                if let now = watch.spool.withLock({ $0 })?.statistics {
                    if now.dropped > last.dropped {
                        watch.logger.error(
                            "minute-bar spool FULL: newer bars dropped (the oldest are kept)",
                            metadata: ["dropped": "\(now.dropped - last.dropped)", "pending": "\(now.pending)"])
                    }
                    if now.pending > 0 && last.pending == 0 {
                        watch.logger.warning(
                            "PostgreSQL unavailable: minute bars spooled locally",
                            metadata: ["pending": "\(now.pending)"])
                    }
                    if now.pending == 0 && last.pending > 0 {
                        watch.logger.notice("minute-bar spool drained", metadata: ["drained": "\(now.drained)"])
                    }
                    last = now
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        try? await gracefulShutdown()
        watching.cancel()
        await watching.value
    }
}
