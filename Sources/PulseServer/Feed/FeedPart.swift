import Logging
import PulseIO
import PulseMarketData
import PulseStore
import ServiceLifecycle

/// What feeds the server's live prices (`--feed`): the simulated market (the default without an Alpha Vantage
/// key), Alpha Vantage's quotes of the tracked symbols (the default with one), or nothing.
public struct FeedSettings: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case simulated, alphavantage, none
    }
    public var source: Source = .simulated
    public var symbols = ["AAPL", "MSFT", "GOOG", "AMZN", "SPY"]
    /// Ticks per second over all symbols.
    public var tickRate: Double = 50
    public var hours: SimulatedMarket.Hours = .aroundTheClock
    public var seed: UInt64 = 1
    /// Ticks the tick log keeps per symbol (`--tick-retention`): the resume window is this ÷ the tick rate.
    public var tickRetention = 100_000
    /// How often the feed publishes the ticks due: short, so a symbol's ticks rarely reach subscribers in one burst
    /// (ticks of one symbol published back to back conflate for every reader, fast or not).
    public var publishInterval: Duration = .milliseconds(2)
    /// Alpha Vantage: the pause between two quote requests (nil: spread the key's budget over its window).
    public var pollInterval: Duration?
    /// Where minute bars wait while PostgreSQL is away (`--spool-dir` / `PULSE_SPOOL_DIR`, default
    /// `$PULSE_DATA_DIR/spool`, else `.data/spool`); one process per directory. nil: no spool.
    public var spoolDirectory: String?
    /// The spool's bound in bytes (`PULSE_SPOOL_MAX_BYTES`, default 64 MiB).
    public var spoolMaxBytes = 64 << 20
    /// Days of simulated daily history stored for a symbol that has no bars yet, with its last week of minutes
    /// (`--sim-history-days`, `PULSE_SIM_HISTORY_DAYS`; 0: none). The live walk then starts at the last stored close.
    public var historyDays = 0

    public init() {}
}

/// The simulated feed as a long-running part of `pulse serve`: it runs on the first loop (where its Redis and
/// PostgreSQL clients live) until the graceful shutdown, then releases its symbols.
struct FeedPart: Service {
    let settings: FeedSettings
    let loop: EventLoop
    let hub: TickHub
    let redis: RedisClient?
    let database: PostgresConfiguration?
    let instance: String
    let logger: Logger
    /// For `--feed alphavantage`.
    var alphaVantage: AlphaVantageConfiguration?
    /// The server's ingest metrics, when on.
    var observer: (any IngestObserver)?
    /// Where the spool's file work runs.
    var blocking: BlockingPool?
    /// Told of the spool once it is open (metrics).
    var onSpool: @Sendable (SpoolingMinuteBars) -> Void = { _ in }
    /// Hears of every committed write of minute bars ("bars ingested").
    var events: (any BarsIngestedSink)?

    func run() async throws {
        if settings.source == .alphavantage {
            try await runAlphaVantage()
            return
        }
        guard settings.source == .simulated, !settings.symbols.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let settings = self.settings
        let hub = self.hub
        let redis = self.redis
        let database = self.database
        let instance = self.instance
        let loop = self.loop
        let observer = self.observer
        let events = self.events
        let spoolSink = self.spoolSink
        logger.info(
            "simulated feed",
            metadata: [
                "symbols": "\(settings.symbols.joined(separator: ","))",
                "ticks_per_second": "\(settings.tickRate)", "redis": "\(redis != nil)",
                "database": "\(database != nil)",
            ])
        let feedTask = Task(executorPreference: loop) {
            let log = redis.map { TickLog(redis: $0, maxLength: settings.tickRetention) }
            // PostgreSQL's advisory locks and epochs when there is a database; Redis leases when there is only Redis.
            let postgresOwnership = database.map {
                PostgresOwnership(configuration: $0, loop: loop, log: log, instance: instance)
            }
            let pool = database.map { PostgresPool(configuration: $0, loop: loop) }
            let ownership = Self.ownership(
                postgres: postgresOwnership, redis: redis, log: log, instance: instance)
            var market = SimulatedMarket.Configuration(
                seed: settings.seed, symbols: settings.symbols, ticksPerSecond: settings.tickRate,
                hours: settings.hours)
            if let pool, settings.historyDays > 0 {
                market.startPrices = await SimulatedBackfill.run(
                    symbols: settings.symbols, days: settings.historyDays, pool: pool,
                    nowSeconds: TickIngester.nowUs() / 1_000_000, sink: events, logger: logger)
            }
            var feed = SimulatedFeed(
                market: market,
                hub: hub, log: log, ownership: ownership,
                bars: await spoolSink(pool.map { PostgresMinuteBars(pool: $0, events: events) }),
                cache: redis.map { MarketCache(redis: $0) })
            feed.interval = settings.publishInterval
            feed.observer = observer
            let counters = await feed.run()
            pool?.close()
            postgresOwnership?.close()
            return counters
        }
        try? await gracefulShutdown()
        feedTask.cancel()
        let counters = await feedTask.value
        logger.info(
            "simulated feed stopped",
            metadata: ["published": "\(counters.published)", "bars_written": "\(counters.barsWritten)"])
    }
}

extension FeedPart {
    /// `sink` behind the local spool when one is configured; a spool that cannot be opened is logged and the bars
    /// go straight to PostgreSQL.
    var spoolSink: @Sendable ((any MinuteBarSink)?) async -> (any MinuteBarSink)? {
        let settings = self.settings
        let blocking = self.blocking
        let logger = self.logger
        let onSpool = self.onSpool
        let loop = self.loop
        return { sink in
            guard let sink, let directory = settings.spoolDirectory, let blocking else { return sink }
            do {
                let spool = try await SpoolingMinuteBars(
                    inner: sink, directory: directory, loop: loop, blocking: blocking, maxBytes: settings.spoolMaxBytes)
                let waiting = spool.statistics.pending
                logger.info("minute-bar spool", metadata: ["path": "\(spool.path)", "pending": "\(waiting)"])
                onSpool(spool)
                return spool
            } catch {
                logger.error("minute-bar spool not opened, bars go straight to PostgreSQL: \(error)")
                return sink
            }
        }
    }

    /// PostgreSQL's advisory locks and epochs when there is a database; Redis leases when there is only Redis.
    static func ownership(
        postgres: PostgresOwnership?, redis: RedisClient?, log: TickLog?, instance: String
    ) -> (any SymbolOwnership)? {
        postgres ?? redis.flatMap { redis in log.map { RedisOwnership(redis: redis, log: $0, instance: instance) } }
    }

    /// `--feed alphavantage`: the tracked Alpha Vantage symbols' quotes (the database's `symbols` with tracking
    /// `active` and source `alphavantage`; without a database, `--symbols`) through the shared ingest path.
    func runAlphaVantage() async throws {
        guard let alphaVantage else {
            logger.error("--feed alphavantage needs ALPHA_VANTAGE_API_KEY; no live prices")
            try? await gracefulShutdown()
            return
        }
        let settings = self.settings
        let hub = self.hub
        let redis = self.redis
        let database = self.database
        let instance = self.instance
        let loop = self.loop
        let observer = self.observer
        let events = self.events
        let spoolSink = self.spoolSink
        logger.info(
            "alpha vantage feed",
            metadata: [
                "symbols": "\(database != nil ? "tracked in the database" : settings.symbols.joined(separator: ","))",
                "poll": "\(settings.pollInterval ?? AlphaVantageFeed.pacing(alphaVantage))",
            ])
        let feedTask = Task(executorPreference: loop) { () -> AlphaVantageFeed.Counters? in
            let http: HTTPClient
            do {
                http = try HTTPClient(loop: loop)
            } catch {
                return nil
            }
            let log = redis.map { TickLog(redis: $0, maxLength: settings.tickRetention) }
            let postgresOwnership = database.map {
                PostgresOwnership(configuration: $0, loop: loop, log: log, instance: instance)
            }
            let pool = database.map { PostgresPool(configuration: $0, loop: loop) }
            let pacer: any RequestPacer =
                redis.map { RedisRequestPacer(redis: $0, configuration: alphaVantage) }
                ?? LocalRequestPacer(configuration: alphaVantage)
            var ingester = TickIngester(
                hub: hub, log: log,
                ownership: Self.ownership(postgres: postgresOwnership, redis: redis, log: log, instance: instance),
                bars: await spoolSink(
                    pool.map { PostgresMinuteBars(pool: $0, source: "alphavantage", events: events) }),
                cache: redis.map { MarketCache(redis: $0) })
            ingester.observer = observer
            let fixed = settings.symbols
            let feed = AlphaVantageFeed(
                client: AlphaVantageClient(configuration: alphaVantage, http: http, pacer: pacer), ingester: ingester,
                pollInterval: settings.pollInterval
            ) {
                guard let pool else { return fixed }
                return (try? await Self.trackedSymbols(pool)) ?? []
            }
            let counters = await feed.run()
            pool?.close()
            postgresOwnership?.close()
            await http.close()
            return counters
        }
        try? await gracefulShutdown()
        feedTask.cancel()
        let counters = await feedTask.value
        logger.info(
            "alpha vantage feed stopped",
            metadata: [
                "polls": "\(counters?.polls ?? 0)", "published": "\(counters?.ingested.published ?? 0)",
                "bars_written": "\(counters?.ingested.barsWritten ?? 0)",
            ])
    }

    static func trackedSymbols(_ pool: PostgresPool) async throws -> [String] {
        let result = try await pool.query(
            "SELECT symbol FROM symbols WHERE tracking = 'active' AND source = 'alphavantage' ORDER BY symbol")
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }
}
