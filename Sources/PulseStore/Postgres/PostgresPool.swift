import PulseIO

/// A few PostgreSQL sessions on one event loop, lent to one caller at a time: sessions are opened on
/// demand up to ``Options/maxConnections``, checked before reuse (a broken one is dropped, one idle for long
/// is pinged), and reopened after failures with exponential backoff, so a database that went away is not
/// hammered and is used again as soon as it is back.
///
/// Shared by the tasks of its loop: it is `Sendable` so those tasks can capture it, and every method checks
/// that it runs on the loop (the same contract as the loop's other state).
///
/// ```swift
/// let pool = PostgresPool(configuration: configuration, loop: loop)
/// let count = try await pool.withConnection { try await $0.query("SELECT count(*) FROM symbols").int(0, 0) }
/// ```
public final class PostgresPool: @unchecked Sendable {
    public struct Options: Sendable {
        /// Sessions open at most.
        public var maxConnections = 4
        /// The wait after the first failed connect; doubled per further failure, up to ``maxBackoff``.
        public var initialBackoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(5)
        /// An idle session older than this is pinged (`SELECT 1`) before it is lent.
        public var pingAfterIdle: Duration = .seconds(30)

        public init() {}
    }

    public let loop: EventLoop
    public let configuration: PostgresConfiguration
    public let options: Options
    private var idle: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var consecutiveFailures = 0
    private var retryAt: ContinuousClock.Instant?
    private var isClosed = false

    public init(configuration: PostgresConfiguration, loop: EventLoop, options: Options = Options()) {
        self.configuration = configuration
        self.loop = loop
        self.options = options
    }

    /// Sessions open now (lent, idle or connecting).
    public var openConnections: Int {
        checkLoop()
        return open
    }

    /// Lends a session to `body` and takes it back afterwards (dropping it if it broke or was left inside a
    /// transaction). Waits while all sessions are lent.
    /// - Throws: ``PostgresError`` (`connectionFailed` while the database is unreachable), or what `body` throws.
    public func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs one statement on a pooled session (see ``PostgresConnection/query(_:_:binaryResults:timeout:)``).
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [PostgresValue] = [], binaryResults: Bool = false, timeout: Duration? = nil
    ) async throws -> PostgresResult {
        try await withConnection {
            try await $0.query(sql, parameters, binaryResults: binaryResults, timeout: timeout)
        }
    }

    /// Closes idle sessions and refuses new requests; lent sessions close when returned.
    public func close() {
        checkLoop()
        isClosed = true
        for entry in idle { entry.connection.close() }
        open -= idle.count
        idle.removeAll()
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting { waiter.resume(throwing: PostgresError(.connectionClosed, "the pool was closed")) }
    }

    private func acquire() async throws -> PostgresConnection {
        checkLoop()
        while true {
            if isClosed { throw PostgresError(.connectionClosed, "the pool was closed") }
            while let entry = idle.popLast() {
                guard entry.connection.isUsable else {
                    open -= 1
                    continue
                }
                if ContinuousClock.now - entry.since > options.pingAfterIdle {
                    guard (try? await entry.connection.query("SELECT 1", timeout: .seconds(5))) != nil else {
                        entry.connection.close()
                        open -= 1
                        continue
                    }
                }
                return entry.connection
            }
            if open < options.maxConnections {
                open += 1
                return try await connect()
            }
            try await withCheckedThrowingContinuation { waiters.append($0) }
        }
    }

    private func connect() async throws -> PostgresConnection {
        if let retryAt, retryAt > ContinuousClock.now {
            let wait = retryAt - ContinuousClock.now
            do {
                try await loop.sleep(nanoseconds: wait.wholeNanoseconds)
            } catch {
                open -= 1
                wakeOne()
                throw error
            }
        }
        do {
            let connection = try await PostgresConnection.connect(to: configuration, on: loop)
            consecutiveFailures = 0
            retryAt = nil
            return connection
        } catch {
            open -= 1
            consecutiveFailures += 1
            retryAt = ContinuousClock.now + backoff(after: consecutiveFailures)
            wakeOne()
            throw error
        }
    }

    /// `initialBackoff × 2^(failures − 1)`, capped, with ±20 % jitter so instances do not retry in step.
    func backoff(after failures: Int) -> Duration {
        let doubled = options.initialBackoff * (1 << min(failures - 1, 20))
        let capped = min(doubled, options.maxBackoff)
        return capped * Double.random(in: 0.8...1.2)
    }

    private func release(_ connection: PostgresConnection) {
        checkLoop()
        if isClosed || !connection.isUsable || connection.isInTransaction || connection.backlog > 0 {
            connection.close()
            open -= 1
        } else {
            idle.append((connection, ContinuousClock.now))
        }
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    private func checkLoop() {
        precondition(loop.inEventLoop, "PostgresPool used off its loop")
    }
}
