import Logging
import PulseIO
import PulseMarketData
import PulseStore
import ServiceLifecycle

/// What feeds the server's live prices (`--feed`): the simulated market (the default without an Alpha Vantage
/// key), or nothing.
public struct FeedSettings: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case simulated, none
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

    func run() async throws {
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
            let ownership: (any SymbolOwnership)? =
                postgresOwnership
                ?? redis.flatMap { redis in log.map { RedisOwnership(redis: redis, log: $0, instance: instance) } }
            let pool = database.map { PostgresPool(configuration: $0, loop: loop) }
            var feed = SimulatedFeed(
                market: .init(
                    seed: settings.seed, symbols: settings.symbols, ticksPerSecond: settings.tickRate,
                    hours: settings.hours),
                hub: hub, log: log, ownership: ownership, bars: pool.map { PostgresMinuteBars(pool: $0) },
                cache: redis.map { MarketCache(redis: $0) })
            feed.interval = settings.publishInterval
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
