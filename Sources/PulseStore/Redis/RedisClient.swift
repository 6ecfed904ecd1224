import Logging
import PulseIO
import Synchronization

/// A Redis client on one event loop: one pipelined hiredis connection, re-established with backoff
/// whenever it is lost, and commands that never wait longer than their timeout.
///
/// While Redis is away commands fail at once with `.unavailable` (callers fall back, health turns
/// NOT_SERVING); the connection comes back within `reconnectMaximumDelay` of Redis' return.
///
/// ```swift
/// let redis = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:6379"), loop: loop)
/// try await redis.command("SET", "quote:AAPL", "215.3")
/// let price = try await redis.command("GET", "quote:AAPL").string
/// ```
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    public let loop: EventLoop
    private let session: LoopBound<RedisSession>
    private let connected = ConnectionState()

    /// Creates the client and starts connecting on `loop`.
    public init(configuration: RedisConfiguration, loop: EventLoop, logger: Logger = Logger(label: "pulse.redis")) {
        self.configuration = configuration
        self.loop = loop
        let session = RedisSession(configuration: configuration, loop: loop, logger: logger)
        self.session = LoopBound(session, loop: loop)
        let connected = self.connected
        session.onStateChange = { up in connected.set(up) }
        self.session.execute { $0.start() }
    }

    /// Whether the connection is up now (it may drop the next moment).
    public var isConnected: Bool { connected.isUp }

    /// Whether the connection is up: the state now first, then each change as it happens (no polling), until the
    /// iterating task is cancelled. A slow reader sees the latest changes.
    public func connectionChanges() -> AsyncStream<Bool> { connected.changes() }

    /// Sends one command and returns its reply; an error reply throws `.server`.
    @discardableResult
    public func command(_ arguments: RedisArgument..., timeout: Duration? = nil) async throws(RedisError) -> RedisValue
    {
        try await command(arguments, timeout: timeout)
    }

    /// Sends one command and returns its reply; an error reply throws `.server`.
    @discardableResult
    public func command(_ arguments: [RedisArgument], timeout: Duration? = nil) async throws(RedisError) -> RedisValue {
        let result: Result<RedisValue, RedisError> = await withCheckedContinuation { continuation in
            session.execute { session in
                session.send(arguments, timeout: timeout) { continuation.resume(returning: $0) }
            }
        }
        return try result.get()
    }

    /// Sends several commands in one write and returns each one's outcome, in order.
    public func pipeline(_ commands: [[RedisArgument]], timeout: Duration? = nil) async -> [Result<
        RedisValue, RedisError
    >] {
        guard !commands.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            session.execute { session in
                var results = [Result<RedisValue, RedisError>?](repeating: nil, count: commands.count)
                var remaining = commands.count
                for (index, command) in commands.enumerated() {
                    session.send(command, timeout: timeout) { result in
                        results[index] = result
                        remaining -= 1
                        if remaining == 0 { continuation.resume(returning: results.map { $0! }) }
                    }
                }
            }
        }
    }

    /// Waits until the connection is up or `timeout` passes; returns whether it is up.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !isConnected {
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Closes the connection for good; later commands fail with `.closed`.
    public func close() async {
        await loop.submit { [session] in session.value.close() }
    }
}

/// Whether the connection is up, readable from any thread, and who wants to hear of each change.
private final class ConnectionState: Sendable {
    private struct State {
        var up = false
        var watchers: [Int: AsyncStream<Bool>.Continuation] = [:]
        var nextWatcher = 0
    }
    private let state = Mutex(State())
    /// The same as `state.up`, for readers on hot paths (a cached quote) that should not take the lock.
    private let upNow = Atomic<Bool>(false)

    var isUp: Bool { upNow.load(ordering: .relaxed) }

    /// Records the state; watchers hear only of changes (a failed reconnect attempt repeats `false`).
    func set(_ up: Bool) {
        state.withLock { state in
            guard state.up != up else { return }
            state.up = up
            upNow.store(up, ordering: .relaxed)
            for watcher in state.watchers.values { watcher.yield(up) }
        }
    }

    func changes() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { state in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            continuation.yield(state.up)
            return id
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}

/// The loop side of `RedisClient`: the current connection and the reconnect schedule. Loop thread only.
final class RedisSession {
    private let configuration: RedisConfiguration
    private let loop: EventLoop
    private let logger: Logger
    private var connection: RedisConnection?
    private var closed = false
    private var delay: Duration
    private var reconnectTimer: TimerHandle?
    private var lastError: RedisError?
    var onStateChange: (@Sendable (Bool) -> Void)?

    init(configuration: RedisConfiguration, loop: EventLoop, logger: Logger) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        self.delay = configuration.reconnectInitialDelay
    }

    func start() {
        guard !closed, connection == nil else { return }
        do {
            // The first connect may take the full connect timeout; a reconnect attempt gets a shorter one.
            let timeout = lastError == nil ? nil : min(configuration.reconnectTimeout, configuration.connectTimeout)
            let fresh = try RedisConnection(configuration: configuration, loop: loop, timeout: timeout)
            fresh.onReady = { [weak self, weak fresh] in
                guard let self, let fresh, self.connection === fresh else { return }
                self.delay = self.configuration.reconnectInitialDelay
                if self.lastError != nil {
                    self.logger.info("Redis connection restored", metadata: ["redis": "\(self.configuration)"])
                }
                self.lastError = nil
                self.onStateChange?(true)
            }
            fresh.onClosed = { [weak self, weak fresh] error in
                guard let self, let fresh, self.connection === fresh else { return }
                self.connectionEnded(error)
            }
            connection = fresh
        } catch {
            connectionEnded(error)
        }
    }

    func send(_ arguments: [RedisArgument], timeout: Duration?, completion: @escaping RedisConnection.Completion) {
        if closed { return completion(.failure(RedisError(.closed, "the Redis client was closed"))) }
        guard let connection, connection.isReady else {
            return completion(
                .failure(lastError.map(Self.unavailable) ?? RedisError(.unavailable, "connecting to Redis")))
        }
        connection.send(arguments, timeout: timeout, completion: completion)
    }

    func close() {
        closed = true
        if let reconnectTimer { loop.cancelTimer(reconnectTimer) }
        let current = connection
        connection = nil
        current?.close()
        onStateChange?(false)
    }

    private func connectionEnded(_ error: RedisError) {
        connection = nil
        onStateChange?(false)
        if lastError == nil {
            logger.warning("Redis unavailable: \(error.message)", metadata: ["redis": "\(configuration)"])
        }
        lastError = error
        guard !closed, error.code != .invalidConfiguration else { return }
        // Full jitter over the current step, so instances that lost Redis together do not return in lockstep.
        // Redis answering "not ready" (loading its data) is there: retry at the first step until it is.
        let step = error.message.hasPrefix("Redis is not ready") ? configuration.reconnectInitialDelay : delay
        delay = min(delay * 2, configuration.reconnectMaximumDelay)
        let wait = UInt64.random(in: step.wholeNanoseconds / 2...max(step.wholeNanoseconds, 1))
        reconnectTimer = loop.scheduleTimer(afterNanoseconds: wait) { [weak self] in
            self?.reconnectTimer = nil
            self?.start()
        }
    }

    private static func unavailable(_ error: RedisError) -> RedisError {
        error.code == .invalidConfiguration ? error : RedisError(.unavailable, "Redis is unavailable: \(error.message)")
    }
}

@available(*, unavailable)
extension RedisSession: Sendable {}
