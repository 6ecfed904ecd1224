import Logging
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore
import Synchronization

/// The data the services read, owned in one place for the life of `pulse serve`: a ``PostgresPool`` per event loop
/// (a handler uses the pool of the loop it runs on, so no session crosses threads), the ``RedisClient`` and its
/// ``MarketCache``, the in-process ``TickHub`` and its latest quotes, and whether PostgreSQL is reachable now
/// (kept current by ``DatabaseHealthMonitor``).
///
/// Created in ``ServerApplication/run(onListening:)`` once the loops exist, closed when the server has stopped.
/// Services call ``withDatabase(_:_:)``, which picks the pool, bounds the call by the caller's deadline and turns
/// database failures into the statuses a client should see.
///
/// ```swift
/// let count = try await data.withDatabase(context) { connection, timeout in
///     try await connection.query("SELECT count(*) FROM symbols", timeout: timeout).int(0, 0)
/// }
/// ```
public final class ServerDataLayer: Sendable {
    /// The database settings; nil when none is configured.
    public let database: PostgresConfiguration?
    public let redis: RedisClient?
    public let cache: MarketCache?
    /// Live ticks of the symbols this instance follows.
    public let ticks: TickHub
    /// The longest any one database call may take when the client set no deadline.
    public let defaultTimeout: Duration
    private let pools: LoopLocal<PostgresPool>?
    private let reachable = Atomic<Bool>(true)

    public init(
        database: PostgresConfiguration?, redis: RedisConfiguration?, group: EventLoopGroup, ticks: TickHub,
        defaultTimeout: Duration = .seconds(10), logger: Logger
    ) {
        self.database = database
        self.ticks = ticks
        self.defaultTimeout = defaultTimeout
        var options = PostgresPool.Options()
        // Short backoff: a database that is back is used again within a second (health promises 2 s).
        options.maxBackoff = .seconds(1)
        pools = database.map { database in
            LoopLocal(group: group) { PostgresPool(configuration: database, loop: $0, options: options) }
        }
        let client = redis.map { RedisClient(configuration: $0, loop: group.loops[0], logger: logger) }
        self.redis = client
        cache = client.map { MarketCache(redis: $0) }
    }

    /// Whether the last health probe reached PostgreSQL (false when no database is configured).
    public var isDatabaseReachable: Bool { database != nil && reachable.load(ordering: .relaxed) }

    func setDatabaseReachable(_ value: Bool) { reachable.store(value, ordering: .relaxed) }

    /// Runs `body` with a pooled session of the caller's loop and the time the call may still take.
    ///
    /// - Throws: UNAVAILABLE `no database configured` / `the database is unavailable` (never its host or
    ///   settings; the latter with a `google.rpc.RetryInfo` in `grpc-status-details-bin`), DEADLINE_EXCEEDED when the caller's deadline passes first, or what `body` throws.
    public func withDatabase<T: Sendable>(
        _ context: ServerContext, _ body: @escaping @Sendable (PostgresConnection, Duration) async throws -> T
    ) async throws -> T {
        guard let pools else { throw GRPCStatus(.unavailable, "no database configured") }
        let timeout = try callTimeout(context)
        let pool = pools[context.loop]
        do {
            return try await DeadlineRace.run(on: context.loop, within: timeout) {
                try await pool.withConnection { try await body($0, timeout) }
            }
        } catch let error as PostgresError {
            let status = Self.status(for: error)
            if let status = status as? GRPCStatus, status.code == .unavailable {
                // Where PostgreSQL is away, say when to try again: the health probe and the pools' reconnects
                // notice its return within about this long.
                context.addTrailer(
                    "grpc-status-details-bin",
                    .binary(status.detailsWithRetryInfo(retryAfterMs: Self.retryAfterMs)))
            }
            throw status
        }
    }

    /// The pool of `loop`, for work that is not a call (nil without a database).
    func pool(on loop: EventLoop) -> PostgresPool? { pools?[loop] }

    /// What an UNAVAILABLE from a database that is away tells a client to wait (`google.rpc.RetryInfo`).
    static let retryAfterMs: Int64 = 1000

    /// The time a database or Redis call of this request may take: what is left of the client's deadline (a
    /// little less, so the answer still reaches it), at most ``defaultTimeout``.
    /// - Throws: DEADLINE_EXCEEDED when nothing is left.
    func callTimeout(_ context: ServerContext) throws(GRPCStatus) -> Duration {
        guard let remaining = context.timeRemaining else { return defaultTimeout }
        let margin: UInt64 = 2_000_000
        guard remaining > margin else { throw GRPCStatus(.deadlineExceeded, "the deadline passed") }
        return min(.nanoseconds(Int64(remaining - margin)), defaultTimeout)
    }

    /// What a client is told about a database failure: never its text (it may name tables or values) beyond
    /// the kind of failure.
    static func status(for error: PostgresError) -> any Error {
        switch error.code {
        case .connectionFailed, .connectionClosed:
            return GRPCStatus(.unavailable, "the database is unavailable")
        case .timedOut:
            return GRPCStatus(.deadlineExceeded, "the database did not answer within the deadline")
        case .server where error.sqlState == "57014":
            return GRPCStatus(.deadlineExceeded, "the database did not answer within the deadline")
        case .server where error.sqlState?.hasPrefix("08") == true || error.sqlState?.hasPrefix("57P") == true:
            return GRPCStatus(.unavailable, "the database is unavailable")
        default:
            return error
        }
    }

    /// Closes every pool (each on its loop) and the Redis connection.
    public func close() async {
        if let pools { _ = await pools.collect { $0.close() } }
        await redis?.close()
    }
}
