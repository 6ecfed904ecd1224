import Logging
import PulseIO
import PulseMarketData
import PulseMetrics
import PulseStore
import ServiceLifecycle

/// The feed's ingest events as Prometheus counters.
struct IngestMetrics: IngestObserver {
    let ticks: Counter
    let gaps: Counter
    let bars: Counter
    let leases: Counter

    init(metrics: ServerMetrics) {
        ticks = metrics.counter("pulse_ingest_ticks_total")
        gaps = metrics.counter("pulse_ingest_gaps_total")
        bars = metrics.counter("pulse_ingest_bars_written_total")
        leases = metrics.counter("pulse_ingest_leases_lost_total")
    }

    func published(ticks count: Int) { ticks.increment(by: Int64(count)) }
    func appendFailed(ticks count: Int) { gaps.increment(by: Int64(count)) }
    func barsWritten(_ count: Int) { bars.increment(by: Int64(count)) }
    func leaseLost() { leases.increment() }
}

extension ServerMetrics {
    /// Gauges read from the process's parts at scrape time: the tick hub, the pools' queues, the PostgreSQL pools
    /// and health.
    func addProcessCollectors(
        hub: TickHub, compute: ComputePool, blocking: BlockingPool, pools: LoopLocal<PostgresPool>?,
        health: HealthStatusRegistry, services: [String]
    ) {
        addCollector { metrics in
            let hubNow = hub.statistics()
            metrics.gauge("pulse_tickhub_subscribers").set(Double(hubNow.subscribers))
            metrics.gauge("pulse_tickhub_queue_depth").set(Double(hubNow.queued))
            metrics.gauge("pulse_tickhub_conflated").set(Double(hubNow.conflated))
            metrics.gauge("pulse_compute_pool_queue_length").set(Double(compute.queueLength))
            metrics.gauge("pulse_blocking_pool_queue_length").set(Double(blocking.queueLength))
            if let pools {
                let open = await pools.collect { $0.openConnections }
                for (index, count) in open.enumerated() {
                    metrics.gauge("pulse_postgres_pool_open_connections", [("loop", "\(index)")]).set(Double(count))
                }
            }
            for service in services {
                let serving = health.status(of: service) == .serving
                metrics.gauge("pulse_health_serving", [("service", service.isEmpty ? "overall" : service)])
                    .set(serving ? 1.0 : 0.0)
            }
        }
    }
}

/// Probes that need time to pass: how late each loop runs a 100 ms timer (loop lag), whether Redis is connected
/// (as its client reports each change) and whether PostgreSQL answers `SELECT 1`, counting each return after an outage as a reconnect. Runs until the
/// graceful shutdown.
struct MetricsProbePart: Service {
    let metrics: ServerMetrics
    let group: EventLoopGroup
    let redis: RedisClient?
    let database: PostgresPool?

    /// The probe's pool backs off at most 500 ms between connects, so `pulse_postgres_up` is 1 again within about
    /// a probe interval plus that of PostgreSQL's return (a pool's default 5 s would hide a return for seconds).
    static var poolOptions: PostgresPool.Options {
        var options = PostgresPool.Options()
        options.maxConnections = 1
        options.maxBackoff = .milliseconds(500)
        return options
    }

    func run() async throws {
        let probes = Task {
            await withTaskGroup(of: Void.self) { tasks in
                for (index, loop) in group.loops.enumerated() {
                    tasks.addTask { await Self.probeLag(loop, index: index, metrics: metrics) }
                }
                if let redis { tasks.addTask { await Self.probeRedis(redis, metrics: metrics) } }
                if let database { tasks.addTask { await Self.probePostgres(database, metrics: metrics) } }
            }
        }
        try? await gracefulShutdown()
        probes.cancel()
        await probes.value
    }

    private static func probeLag(_ loop: EventLoop, index: Int, metrics: ServerMetrics) async {
        let gauge = metrics.gauge("pulse_event_loop_lag_seconds", [("loop", "\(index)")])
        // Structured (not a new Task): cancelling the probe must end the loop.
        await withTaskExecutorPreference(loop) {
            while !Task.isCancelled {
                let asked = MonotonicClock.now()
                do { try await loop.sleep(nanoseconds: 100_000_000) } catch { return }
                let late = MonotonicClock.now() &- asked &- 100_000_000
                gauge.set(Double(Int64(bitPattern: late)) / 1e9)
            }
        }
    }

    /// Follows the client's connection state as it changes (no polling, so the gauge is current the moment the
    /// connection is back).
    private static func probeRedis(_ redis: RedisClient, metrics: ServerMetrics) async {
        let up = metrics.gauge("pulse_redis_up")
        let reconnects = metrics.counter("pulse_redis_reconnects_total")
        var wasUp: Bool?
        for await isUp in redis.connectionChanges() {
            up.set(isUp ? 1.0 : 0.0)
            if isUp && wasUp == false { reconnects.increment() }
            wasUp = isUp
        }
    }

    private static func probePostgres(_ pool: PostgresPool, metrics: ServerMetrics) async {
        let up = metrics.gauge("pulse_postgres_up")
        let reconnects = metrics.counter("pulse_postgres_reconnects_total")
        var wasUp = true
        await withTaskExecutorPreference(pool.loop) {
            while !Task.isCancelled {
                let isUp = (try? await pool.query("SELECT 1", timeout: .seconds(1))) != nil
                up.set(isUp ? 1.0 : 0.0)
                if isUp && !wasUp { reconnects.increment() }
                wasUp = isUp
                do { try await pool.loop.sleep(nanoseconds: 250_000_000) } catch { break }
            }
            pool.close()  // on its loop
        }
    }
}
