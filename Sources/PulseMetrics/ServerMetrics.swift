@_exported import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The process's Prometheus metrics: one registry (swift-prometheus, used directly rather than through
/// swift-metrics' factory, so a call site holds its counter and an increment is one relaxed atomic add with no
/// label lookup), and the collectors that refresh gauges from the parts just before each scrape.
///
/// Hot paths (every call, every tick) only touch handles they looked up once; anything that is a level rather
/// than an event — queue depths, pool health, subscribers — is read at scrape time by a collector, so it costs
/// nothing between scrapes.
///
/// ```swift
/// let metrics = ServerMetrics()
/// let spooled = metrics.registry.makeCounter(name: "pulse_spool_bars_total", labels: [], help: "…")
/// metrics.addCollector { metrics in metrics.gauge("pulse_tickhub_subscribers").set(Double(hub.subscriberCount)) }
/// let text = await metrics.render()   // Prometheus text format 0.0.4
/// ```
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let collectors = Mutex<[@Sendable (ServerMetrics) async -> Void]>([])
    private let helps: [String: String]

    public init() {
        helps = MetricCatalogue.help
    }

    /// Registers `collect`, run before every render to set gauges (or add to counters) from a part's state.
    public func addCollector(_ collect: @escaping @Sendable (ServerMetrics) async -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// A gauge of the catalogue (its help text from ``MetricCatalogue``).
    public func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(name: name, labels: labels, help: helps[name] ?? name)
    }

    /// A counter of the catalogue.
    public func counter(_ name: String, _ labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(name: name, labels: labels, help: helps[name] ?? name)
    }

    /// A histogram of seconds of the catalogue, with `buckets`.
    public func durationHistogram(
        _ name: String, _ labels: [(String, String)] = [], buckets: [Duration] = MetricCatalogue.latencyBuckets
    ) -> DurationHistogram {
        registry.makeDurationHistogram(name: name, labels: labels, buckets: buckets, help: helps[name] ?? name)
    }

    /// A histogram of plain values (seconds as Double) of the catalogue.
    public func valueHistogram(_ name: String, _ labels: [(String, String)] = [], buckets: [Double]) -> ValueHistogram {
        registry.makeValueHistogram(name: name, labels: labels, buckets: buckets, help: helps[name] ?? name)
    }

    /// `pulse_tick_lag_seconds`: what a stream handler records for each tick it hands to a client, from the
    /// tick's `ingest_time_us` (look it up once per stream, then ``recordTickLag(_:ingestTimeUs:)`` per tick).
    public func tickLag() -> ValueHistogram {
        valueHistogram(
            "pulse_tick_lag_seconds", buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
    }

    /// Records one tick's lag from its ingest time (microseconds since the epoch) to now.
    public static func recordTickLag(_ histogram: ValueHistogram, ingestTimeUs: Int64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowUs = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        histogram.record(Double(max(0, nowUs - ingestTimeUs)) / 1e6)
    }

    /// Runs the collectors, then renders every metric in the Prometheus text format.
    public func render() async -> [UInt8] {
        let collect = collectors.withLock { $0 }
        for collector in collect { await collector(self) }
        return registry.emitToBuffer()
    }
}

/// Every metric this server exports, with its help text: one list an operator (and the Grafana dashboard) can
/// read, so names never drift between the parts that feed them.
public enum MetricCatalogue {
    /// grpc-ecosystem/go-grpc-prometheus' default buckets, with 1 ms and 2.5 ms added below for the fast calls.
    public static let latencyBuckets: [Duration] = [
        .microseconds(1000), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public static let help: [String: String] = [
        "grpc_server_started_total": "RPCs started on the server (handler about to run).",
        "grpc_server_handled_total": "RPCs completed on the server, by status code.",
        "grpc_server_handling_seconds": "Time from the request's headers to the decided status.",
        "grpc_server_msg_received_total": "Request messages received.",
        "grpc_server_msg_sent_total": "Response messages sent.",
        "pulse_tickhub_subscribers": "Open in-process tick subscriptions.",
        "pulse_tickhub_queue_depth": "Ticks waiting in subscribers' mailboxes (at most one per symbol each).",
        "pulse_tickhub_conflated": "Ticks replaced by a later one in the open subscriptions' mailboxes so far.",
        "pulse_tick_lag_seconds": "Ingest time to the moment a tick is handed to a client's stream.",
        "pulse_ingest_ticks_total": "Ticks ingested by this instance's feed.",
        "pulse_ingest_gaps_total": "Tick-log appends that failed (Redis away): sequence gaps other instances see.",
        "pulse_ingest_bars_written_total":
            "Minute bars the feed completed and handed to storage (stored, or spooled while PostgreSQL is away).",
        "pulse_ingest_leases_lost_total": "Symbol leases lost to another instance.",
        "pulse_spool_bars": "Minute bars waiting in the local spool for PostgreSQL.",
        "pulse_spool_bytes": "Size of the local spool file.",
        "pulse_spool_spooled_total": "Minute bars written to the local spool while PostgreSQL was away.",
        "pulse_spool_drained_total": "Spooled minute bars written to PostgreSQL once it returned.",
        "pulse_spool_dropped_total": "Minute bars dropped because the spool was full (the oldest go first).",
        "pulse_event_loop_lag_seconds": "How late a 100 ms timer fired on each event loop (the last probe).",
        "pulse_compute_pool_queue_length": "Jobs waiting for a compute-pool thread.",
        "pulse_blocking_pool_queue_length": "Jobs waiting for a blocking-pool thread.",
        "pulse_postgres_pool_open_connections": "Open PostgreSQL connections per loop's pool.",
        "pulse_postgres_up": "1 when the last PostgreSQL health probe succeeded.",
        "pulse_postgres_reconnects_total": "Times PostgreSQL came back after being unreachable.",
        "pulse_redis_up": "1 when the Redis connection is established.",
        "pulse_redis_reconnects_total": "Times Redis came back after being unreachable.",
        "pulse_health_serving": "1 when the health service reports SERVING for the service.",
        "pulse_metrics_scrapes_total": "Scrapes of /metrics served.",
    ]
}
