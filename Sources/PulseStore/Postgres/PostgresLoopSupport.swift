import Dispatch
import PulseIO

// Everything PulseStore's PostgreSQL client needs from PulseIO is here, so changes to the loop API
// (loop-local state, the blocking pool of issue 8) touch this file only.

/// Watches one libpq socket on a loop and forwards readiness to its connection. Holds the connection
/// weakly: the loop keeps handlers alive, the connection must not be kept alive by its own registration.
final class PostgresSocketWatcher: IOHandler {
    weak var owner: PostgresConnection?
    let loop: EventLoop
    private(set) var fd: Int32 = -1
    private var interest: IOEvents = []

    init(loop: EventLoop) { self.loop = loop }

    func handleIO(_ events: IOEvents) {
        owner?.socketReady(
            readable: events.contains(.readable) || events.contains(.hangup) || events.contains(.error),
            writable: events.contains(.writable))
    }

    /// Watches `socket` for `wanted` (re-registering when libpq replaced the socket). Loop thread only.
    func watch(_ socket: Int32, readable: Bool, writable: Bool) throws(PostgresError) {
        var wanted: IOEvents = []
        if readable { wanted.insert(.readable) }
        if writable { wanted.insert(.writable) }
        do {
            if socket != fd {
                stop()
                try loop.register(fd: socket, interest: wanted, handler: self)
                fd = socket
            } else if wanted != interest {
                do {
                    try loop.reregister(fd: socket, interest: wanted)
                } catch {
                    // libpq closed and reopened a socket under the same number: epoll forgot the old one.
                    try loop.register(fd: socket, interest: wanted, handler: self)
                }
            }
            interest = wanted
        } catch {
            throw PostgresError(.connectionFailed, "cannot watch the database socket: \(error)")
        }
    }

    /// Stops watching (libpq owns and closes the socket). Loop thread only.
    func stop() {
        if fd >= 0 { loop.deregister(fd: fd) }
        fd = -1
        interest = []
    }
}

extension EventLoop {
    /// Runs `work` on the loop after `duration`; returns the handle to cancel it. Loop thread only.
    func postgresTimer(after duration: Duration, _ work: @escaping () -> Void) -> TimerHandle {
        scheduleTimer(afterNanoseconds: duration.wholeNanoseconds, work)
    }
}

/// Work that blocks (name resolution, libpq 15's `PQcancel`), run away from every loop thread: on the configured
/// ``BlockingPool``, else on a concurrent queue of its own.
enum PostgresBlocking {
    private static let fallback = DispatchQueue(label: "pulse.postgres.blocking", attributes: .concurrent)

    /// Runs `work` off the loop and returns its result; the caller resumes on its own executor.
    static func run<T: Sendable>(on pool: BlockingPool?, _ work: @escaping @Sendable () -> T) async -> T {
        if let pool, let result = try? await pool.run(work) { return result }
        return await withCheckedContinuation { continuation in
            fallback.async { continuation.resume(returning: work()) }
        }
    }

    /// Starts `work` off the loop without waiting for it.
    static func start(on pool: BlockingPool?, _ work: @escaping @Sendable () -> Void) {
        if let pool {
            pool.submit(work)
        } else {
            fallback.async(execute: work)
        }
    }
}

extension PostgresConnection {
    /// Connects on an event loop of its own, runs `body` there, then closes the connection and stops the
    /// loop: for command-line tools and tests that have no loop group.
    ///
    /// ```swift
    /// let count = try await PostgresConnection.withConnection(to: configuration) { connection in
    ///     try await connection.query("SELECT count(*) FROM bars").int(0, 0)
    /// }
    /// ```
    public static func withConnection<T: Sendable>(
        to configuration: PostgresConfiguration, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let loop: EventLoop
        do {
            loop = try EventLoop()
        } catch {
            throw PostgresError(.connectionFailed, "cannot start an event loop: \(error)")
        }
        defer {
            loop.stop()
            loop.join()
        }
        return try await Task(executorPreference: loop) {
            let connection = try await PostgresConnection.connect(to: configuration, on: loop)
            defer { connection.close() }
            return try await body(connection)
        }.value
    }
}
