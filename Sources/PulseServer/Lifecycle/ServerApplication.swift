import Logging
import PulseIO
import PulseMarketData
import PulseMetrics
import PulseMetricsHTTP
import PulseProtocol
import PulseRPC
import PulseStore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The `pulse serve` process: event loops, pools, the services, health, and the lifecycle from
/// listening to a graceful exit on SIGTERM/SIGINT or task cancellation.
///
/// The long-running parts run under one ``ProcessLifecycle`` (the only owner of signals): the RPC server
/// first, then the health reporter, so on SIGTERM health turns NOT_SERVING (and watches end) before the
/// server drains. Later parts (feed, ingesters, gateway, metrics) join the same list.
///
/// ```swift
/// var configuration = ServerApplication.Configuration()
/// configuration.rpc.port = 0
/// try await ServerApplication(configuration: configuration).run { address in print("listening on \(address)") }
/// ```
public struct ServerApplication: Sendable {
    /// Everything `pulse serve` can be told.
    public struct Configuration: Sendable {
        /// Transport limits and timeouts.
        public var rpc = ServerConfiguration()
        /// Threads of the compute pool for CPU-heavy handlers.
        public var computeThreads = 2
        /// Threads of the blocking pool for calls that cannot be non-blocking (`PQcancel`, `fsync`, DNS).
        public var blockingThreads = 2
        /// Whether SIGTERM/SIGINT start a graceful shutdown (off for servers embedded in tests).
        public var handleSignals = true
        /// The PostgreSQL to use (`--database-url` / `DATABASE_URL`); nil = none configured. Stored for the
        /// services that will need it; its description never shows the host, user or password.
        public var database: PostgresConfiguration?
        /// The Redis for the tick log, the cache and symbol ownership (`--redis-url` / `REDIS_URL`); nil = none.
        public var redis: RedisConfiguration?
        /// What feeds live prices (`--feed`, `--symbols`, `--tick-rate`, `--sim-hours`).
        public var feed = FeedSettings()
        /// Live streams: heartbeat interval and limits (`--heartbeat-interval`).
        public var streams = StreamSettings()
        /// Stored bars for Indicators and Backtests requests that name symbols; nil (no database yet): those
        /// requests get UNAVAILABLE, requests with inline bars are served.
        public var barSource: (any BarSource)?
        /// Alpha Vantage (`ALPHA_VANTAGE_API_KEY`, `ALPHA_VANTAGE_BASE_URL`, …) for LoadSymbol backfills; nil: none.
        public var alphaVantage: AlphaVantageConfiguration?
        /// API keys, scopes and limits (`--auth`, `PULSE_AUTH`): on for a non-loopback address.
        public var auth = AuthSettings()
        /// Port of `/metrics` (`--metrics-port` / `PULSE_METRICS_PORT`, on the RPC host; 0 = any free port); nil: no
        /// metrics (and no metrics interceptor).
        public var metricsPort: Int?
        /// One access log line per call (`--access-log` / `PULSE_ACCESS_LOG`).
        public var accessLog = false
        /// Where "bars ingested" events go: the SQS queue (`PULSE_SQS_QUEUE_URL`) with the AWS variables to reach
        /// it; nil: in-process to ``DerivedDataRecomputer`` (when Redis is configured).
        public var sqsEvents: SQSEventSettings?

        public init() {}
    }

    public let configuration: Configuration
    public let logger: Logger
    /// Service health; `""` and every served service turn SERVING as soon as the server listens; services of the
    /// protocol not served yet (``pendingServices``) are NOT_SERVING.
    public let health = HealthStatusRegistry()
    /// Live ticks of the symbols this instance ingests, fanned out to its subscribers.
    public let ticks = TickHub()

    public init(configuration: Configuration, logger: Logger = Logger(label: "pulse.server")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The services this process serves. `data` (the server's data layer) adds the Quotes read side and stored bars
    /// for Indicators and Backtests when a database is configured; `loading` holds the database pools and backfill
    /// runner of LoadSymbol and Screen (nil: no database, those calls are UNAVAILABLE).
    public func services(data: ServerDataLayer? = nil, loading: LoadingResources? = nil) -> [any RPCService] {
        let source = barSource(data: data)
        var services: [any RPCService] = [
            HealthService(registry: health), DiagnosticsService(), SymbolLoadingService(resources: loading),
            data.map { IndicatorsService(source: source, data: $0) } ?? IndicatorsService(source: source),
            BacktestsService(source: source, optimizeWorkers: max(1, configuration.computeThreads)),
        ]
        if let data { services.append(QuotesReadService(data: data)) }
        return services
    }

    /// The stored bars every service reads: the configured source, or the database's when there is one.
    func barSource(data: ServerDataLayer?) -> (any BarSource)? {
        configuration.barSource ?? data.flatMap { $0.database == nil ? nil : PostgresBarSource(data: $0) }
    }

    /// Services of `Protocol/` this process does not serve yet: health answers NOT_SERVING for them (calls get
    /// UNIMPLEMENTED).
    public static let pendingServices: [String] = []

    /// Runs until SIGTERM/SIGINT or cancellation, then shuts down gracefully and returns.
    /// `onListening` is called once with the bound address, after signals are trapped.
    /// `onMetricsListening` gets the bound port of `/metrics` when metrics are on.
    public func run(
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        onMetricsListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let loopCount: Int
        switch configuration.rpc.loops {
        case .cores: loopCount = EventLoopGroup.coreCount
        case .exactly(let count): loopCount = max(1, count)
        }
        let group = try EventLoopGroup(loops: loopCount)
        let pool = try ComputePool(threads: max(1, configuration.computeThreads))
        let blocking = try BlockingPool(threads: max(1, configuration.blockingThreads))
        defer {
            blocking.shutdown()
            pool.shutdown()
            group.shutdown()
        }
        // Every PostgreSQL client of the process resolves names and sends cancels on this blocking pool.
        var database = self.configuration.database
        database?.blockingPool = blocking
        let data = ServerDataLayer(
            database: database, redis: configuration.redis, group: group, ticks: ticks, logger: logger)
        let (events, eventsHTTP) = try makeEvents(data: data, group: group, compute: pool, blocking: blocking)
        let loading = try makeLoadingResources(group: group, database: database, redis: data.redis, events: events)
        // One registry for the process when metrics are on (the streams record tick lag into it).
        let metrics = configuration.metricsPort.map { _ in ServerMetrics() }
        let live = liveStreams(
            redis: data.redis, source: barSource(data: data), group: group, tickLag: metrics?.tickLag())
        let services = services(data: data, loading: loading) + live.services
        // Auth: the key store, revocations and shared limits (see AccessControl); nil when auth is off.
        let access = accessControl(group: group, database: database, redis: data.redis)
        let observability = observabilityParts(
            metrics: metrics, group: group, compute: pool, blocking: blocking, redis: data.redis, loading: loading,
            services: services, onMetricsListening: onMetricsListening)
        // Metrics and the access log first, so the calls auth refuses are counted and logged too.
        let server = RPCServer(
            configuration: configuration.rpc, services: services, group: group, computePool: pool,
            blockingPool: blocking, interceptors: observability.interceptors + (access.map { [$0.interceptor] } ?? []),
            logger: logger)
        // Without a database the services that only read it start (and stay) NOT_SERVING; with one, the monitor's
        // first probe decides.
        let notServing =
            Self.pendingServices + (database == nil ? DatabaseHealthMonitor.databaseOnlyServices : [])
        let listening = ListeningPart(
            server: server, health: health, services: services, notServing: notServing, logger: logger
        ) { address in
            logger.info("listening", metadata: ["address": "\(address)", "loops": "\(loopCount)"])
            onListening(address)
        }
        var migrated = true
        if let database = database { migrated = await migrate(database, on: group.loops[0]) }
        let feed = FeedPart(
            settings: configuration.feed, loop: group.loops[0], hub: ticks, redis: data.redis,
            database: database, instance: Self.instanceName(), logger: logger,
            alphaVantage: configuration.alphaVantage, observer: observability.ingest, blocking: blocking,
            onSpool: observability.onSpool, events: events)
        var monitor = DatabaseHealthMonitor(data: data, health: health, loop: group.loops[0], logger: logger)
        monitor.migrated = migrated
        RedisHealthMonitor.register(in: health, redisConfigured: data.redis != nil)
        let redisMonitor = RedisHealthMonitor(redis: data.redis, health: health, logger: logger)
        let rollups = database.map { RollupRefresher(database: $0, loop: group.loops[0], logger: logger) }
        let lifecycle = ProcessLifecycle(
            // The events first: they stop last, after every writer has published its final batch.
            parts: (events.map { [$0] } ?? []) + (access.map { [$0.part] } ?? [])
                + (configuration.rpc.tls.map { [TLSReloadPart(context: $0, logger: logger)] } ?? [])
                + [
                    listening, feed, live.part, BackfillPart(runner: loading?.backfills), monitor, redisMonitor,
                    HealthReporter(application: self, services: services),
                ] + (rollups.map { [$0] } ?? []) + observability.parts,
            handlesSignals: configuration.handleSignals, logger: logger)
        try await lifecycle.run()
        await loading?.close()
        await data.close()
        await live.followerRedis?.close()
        await eventsHTTP?.close()
        let served = await server.statistics()
        logger.info("stopped", metadata: ["served": "\(served)"])
    }

    /// Quotes.Subscribe and Indicators.Subscribe over the hub, the tick log and the stored bars, and the part that
    /// follows other instances' symbols (on a Redis connection of its own, since it blocks in `XREAD`).
    func liveStreams(
        redis: RedisClient?, source: (any BarSource)?, group: EventLoopGroup, tickLag: ValueHistogram?
    ) -> (
        services: [any RPCService], part: any Service, followerRedis: RedisClient?
    ) {
        let log = redis.map { TickLog(redis: $0, maxLength: configuration.feed.tickRetention) }
        let followerRedis = configuration.redis.map {
            RedisClient(configuration: $0, loop: group.loops[group.loops.count > 1 ? 1 : 0], logger: logger)
        }
        let follower = followerRedis.map {
            TickFollower(
                hub: ticks, log: TickLog(redis: $0, maxLength: configuration.feed.tickRetention),
                settings: configuration.streams, logger: logger)
        }
        let services: [any RPCService] = [
            QuoteStreamService(hub: ticks, log: log, settings: configuration.streams, tickLag: tickLag),
            IndicatorStreamService(
                hub: ticks, log: log, source: source, settings: configuration.streams),
        ]
        return (services, LiveStreamsPart(hub: ticks, follower: follower), followerRedis)
    }

    /// Metrics into `metrics` (the gRPC interceptor first, `/metrics`, the probes, the feed's counters) when a
    /// metrics port is set, and the access log when on.
    func observabilityParts(
        metrics: ServerMetrics?, group: EventLoopGroup, compute: ComputePool, blocking: BlockingPool,
        redis: RedisClient?, loading: LoadingResources?, services: [any RPCService],
        onMetricsListening: @escaping @Sendable (Int) -> Void
    ) -> Observability {
        var interceptors: [any ServerInterceptor] = []
        var parts: [any Service] = []
        var ingest: (any IngestObserver)?
        let spoolWatch = SpoolWatch(logger: logger)
        if let port = configuration.metricsPort, let metrics {
            interceptors.append(GRPCMetricsInterceptor(metrics: metrics, group: group))
            metrics.addProcessCollectors(
                hub: ticks, compute: compute, blocking: blocking, pools: loading?.pools, health: health,
                services: [""] + services.map(\.serviceName) + RedisHealthMonitor.dependentNames)
            ingest = IngestMetrics(metrics: metrics)
            metrics.addCollector { metrics in spoolWatch.export(to: metrics) }
            let host = configuration.rpc.host
            let logger = self.logger
            parts.append(
                MetricsHTTPServer(metrics: metrics, host: host, port: port, logger: logger) { bound in
                    logger.info("metrics listening", metadata: ["address": "\(host):\(bound)", "path": "/metrics"])
                    onMetricsListening(bound)
                })
            parts.append(
                MetricsProbePart(
                    metrics: metrics, group: group, redis: redis,
                    database: configuration.database.map { settings in
                        var settings = settings
                        settings.blockingPool = blocking
                        return PostgresPool(
                            configuration: settings, loop: group.loops[0], options: MetricsProbePart.poolOptions)
                    }))
        }
        if configuration.accessLog { interceptors.append(AccessLogInterceptor(logger: logger)) }
        parts.append(SpoolAlarmPart(watch: spoolWatch))
        return Observability(
            interceptors: interceptors, parts: parts, ingest: ingest,
            onSpool: { opened in spoolWatch.spool.withLock { $0 = opened } })
    }

    /// A PostgreSQL pool per loop for LoadSymbol and Screen, and the Alpha Vantage backfill runner on the first loop
    /// when a key is configured (paced through Redis when there is one, so every instance shares the key's quota).
    func makeLoadingResources(
        group: EventLoopGroup, database: PostgresConfiguration?, redis: RedisClient?,
        events: (any BarsIngestedSink)?
    ) throws -> LoadingResources? {
        guard let database else { return nil }
        let pools = LoopLocal(group: group) { PostgresPool(configuration: database, loop: $0) }
        var runner: BackfillRunner?
        if let alphaVantage = configuration.alphaVantage {
            let loop = group.loops[0]
            let http = try HTTPClient(loop: loop)
            let pacer: any RequestPacer =
                redis.map { RedisRequestPacer(redis: $0, configuration: alphaVantage) }
                ?? LocalRequestPacer(configuration: alphaVantage)
            let client = AlphaVantageClient(configuration: alphaVantage, http: http, pacer: pacer)
            runner = BackfillRunner(
                loop: loop, pool: PostgresPool(configuration: database, loop: loop), client: client, http: http,
                cache: redis.map { MarketCache(redis: $0) }, events: events, logger: logger)
        }
        return LoadingResources(
            pools: pools, backfills: runner, cache: redis.map { MarketCache(redis: $0) }, events: events)
    }

    /// Where "bars ingested" events go: SQS when configured (with the HTTP client it runs on, closed at exit), else
    /// the in-process recomputer when there is a Redis cache to recompute; nil when there is neither.
    func makeEvents(data: ServerDataLayer, group: EventLoopGroup, compute: ComputePool, blocking: BlockingPool)
        throws -> (BarsIngestedDelivery?, HTTPClient?)
    {
        let logger = Logger(label: "pulse.events")
        if let settings = configuration.sqsEvents {
            let http = try HTTPClient(loop: group.loops[0])
            let sqs = try SQSClient.fromEnvironment(settings.environment, http: http)
            logger.info("bars-ingested events to SQS")
            return (BarsIngestedDelivery(target: .sqs(sqs, queueURL: settings.queueURL), logger: logger), http)
        }
        guard data.cache != nil else { return (nil, nil) }
        let recomputer = DerivedDataRecomputer(
            data: data, loop: group.loops[0], computePool: compute, blockingPool: blocking)
        return (BarsIngestedDelivery(target: .processor(recomputer), logger: logger), nil)
    }

    /// The access control of a server whose auth is on (``AuthSettings/isEnabled(host:)``), else nil.
    func accessControl(group: EventLoopGroup, database: PostgresConfiguration?, redis: RedisClient?)
        -> AccessControl?
    {
        guard configuration.auth.isEnabled(host: configuration.rpc.host) else { return nil }
        logger.info(
            "auth on", metadata: ["key_store": "\(database != nil)", "redis": "\(redis != nil)"])
        return AccessControl(
            settings: configuration.auth, database: database, redis: redis, group: group, logger: logger)
    }

    /// Applies the migrations this build ships (as `pulse migrate` does; safe from several instances at once). A
    /// database that cannot be reached is logged and the server starts anyway: what needs it reports so.
    /// Applies the migrations at start-up; false when the database could not be reached or refused them (the health
    /// monitor then applies them once it reaches the database).
    func migrate(_ database: PostgresConfiguration, on loop: EventLoop) async -> Bool {
        let outcome = await Task(executorPreference: loop) { () -> Result<[Int], any Error> in
            do {
                let connection = try await PostgresConnection.connect(to: database, on: loop)
                defer { connection.close() }
                return .success(try await SchemaMigrations.apply(on: connection))
            } catch {
                return .failure(error)
            }
        }.value
        switch outcome {
        case .success(let applied):
            if !applied.isEmpty { logger.info("applied database migrations", metadata: ["versions": "\(applied)"]) }
            return true
        case .failure(let error):
            logger.warning("database migrations not applied yet (applied once the database is reached): \(error)")
            return false
        }
    }

    /// This process among several instances: host name and process id, as symbol owners are recorded.
    static func instanceName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return "\(String(cString: name)):\(getpid())"
    }

    /// Marks everything NOT_SERVING and ends health watches, so watchers learn of the shutdown first.
    func enterShutdown(_ services: [any RPCService]) {
        health.setStatus(.notServing, for: "")
        for service in services { health.setStatus(.notServing, for: service.serviceName) }
        for name in RedisHealthMonitor.dependentNames { health.setStatus(.notServing, for: name) }
        health.finishAllWatches()
    }
}

/// The RPC server as a part: binds (inside the lifecycle, so a signal can never arrive untrapped after
/// `listening on` was printed), turns health SERVING, reports the address, and serves until shutdown.
private struct ListeningPart: Service {
    let server: RPCServer
    let health: HealthStatusRegistry
    let services: [any RPCService]
    let notServing: [String]
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void

    func run() async throws {
        // SERVING before the socket exists: the first call that can arrive already sees it.
        health.setStatus(.serving, for: "")
        for service in services { health.setStatus(.serving, for: service.serviceName) }
        for service in notServing { health.setStatus(.notServing, for: service) }
        onListening(try await server.start())
        try await server.run()
    }
}

/// The backfill runner as a part: resumes the unfinished jobs once the server runs, stops them on shutdown (their
/// progress stays in the database).
private struct BackfillPart: Service {
    let runner: BackfillRunner?

    func run() async throws {
        guard let runner else {
            try? await gracefulShutdown()
            return
        }
        // In a task of its own: while the database is away it keeps trying, and shutdown must not wait for that.
        let resuming = Task { await runner.resumeUnfinished() }
        try? await gracefulShutdown()
        resuming.cancel()
        await resuming.value
        await runner.stopAll()
    }
}

/// Turns health NOT_SERVING when the graceful shutdown begins; listed after the server, so it stops first.
private struct HealthReporter: Service {
    let application: ServerApplication
    let services: [any RPCService]

    func run() async throws {
        try? await gracefulShutdown()  // returns on shutdown, throws on cancellation: both end serving
        application.logger.info("shutting down gracefully")
        application.enterShutdown(services)
    }
}
