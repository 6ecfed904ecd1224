private import CLibPQ
import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

/// One PostgreSQL session, driven by one event loop without ever blocking it: non-blocking connect
/// (`PQconnectStartParams` + `PQconnectPoll`, names resolved off the loop), `PQsend*`, `PQflush` with write
/// interest, `PQconsumeInput` on readable. Requests queue and run one at a time, in order.
///
/// Lives on its loop: create and use it from a task whose executor preference is that loop.
///
/// ```swift
/// let rows = try await Task(executorPreference: loop) {
///     let connection = try await PostgresConnection.connect(to: configuration, on: loop)
///     return try await connection.query("SELECT $1::int8 + 1", [.int(41)]).int(0, 0)
/// }.value
/// ```
public final class PostgresConnection {
    /// The loop this connection belongs to.
    public let loop: EventLoop
    let configuration: PostgresConfiguration
    var handle: OpaquePointer?
    let watcher: PostgresSocketWatcher
    var state: State = .connecting
    var connectWaiter: CheckedContinuation<Void, any Error>?
    var connectTimer: TimerHandle?
    var pending: [PostgresOperation] = []
    var current: PostgresOperation?
    var wantsWrite = false

    enum State {
        case connecting
        case ready
        case closed(PostgresError)
    }

    /// Opens a session. Resolves host names on a blocking thread, then connects on `loop`.
    /// - Throws: ``PostgresError`` with code `connectionFailed` (or `invalidConfiguration`).
    public static func connect(to configuration: PostgresConfiguration, on loop: EventLoop) async throws
        -> PostgresConnection
    {
        var resolved: [(key: String, value: String)]?
        if configuration.hostsToResolve != nil {
            let outcome = await PostgresBlocking.run(on: configuration.blockingPool) {
                Result { () throws(PostgresError) in try configuration.resolvedHosts().map(ResolvedHosts.init) }
            }
            resolved = try outcome.get()?.pairs
        }
        precondition(loop.inEventLoop, "PostgresConnection.connect must run with its loop as task executor")
        let connection = try PostgresConnection(configuration: configuration, resolvedHosts: resolved, loop: loop)
        try await connection.waitUntilConnected()
        return connection
    }

    private init(
        configuration: PostgresConfiguration, resolvedHosts: [(key: String, value: String)]?, loop: EventLoop
    ) throws(PostgresError) {
        self.loop = loop
        self.configuration = configuration
        self.watcher = PostgresSocketWatcher(loop: loop)
        let parameters = configuration.connectParameters(resolvedHosts: resolvedHosts)
        let conn = Self.startConnecting(parameters)
        guard let conn else { throw PostgresError(.connectionFailed, "libpq could not allocate a connection") }
        handle = conn
        watcher.owner = self
        // libpq prints server notices to standard error by default; they are not errors, and not ours to print.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        if PQstatus(conn) == CONNECTION_BAD {
            let error = connectionError(.connectionFailed, fallback: "cannot connect to the database")
            throw error
        }
        try watcher.watch(PQsocket(conn), readable: false, writable: true)
        connectTimer = loop.postgresTimer(after: configuration.connectTimeout) { [weak self] in
            guard let self else { return }
            self.connectTimer = nil
            self.fail(PostgresError(.connectionFailed, "connecting to the database timed out"))
        }
    }

    deinit {
        let leftovers = Leftovers(watcher: watcher, handle: handle)
        if loop.inEventLoop {
            leftovers.release()
        } else {
            loop.execute { leftovers.release() }  // the registration belongs to the loop thread
        }
    }

    private static func startConnecting(_ parameters: [(key: String, value: String)]) -> OpaquePointer? {
        let keys: [UnsafeMutablePointer<CChar>?] = parameters.map { strdup($0.key) } + [nil]
        let values: [UnsafeMutablePointer<CChar>?] = parameters.map { strdup($0.value) } + [nil]
        defer {
            for pointer in keys { free(pointer) }
            for pointer in values { free(pointer) }
        }
        let constKeys: [UnsafePointer<CChar>?] = keys.map { $0.map { UnsafePointer($0) } }
        let constValues: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } }
        return constKeys.withUnsafeBufferPointer { keyBuffer in
            constValues.withUnsafeBufferPointer { valueBuffer in
                PQconnectStartParams(keyBuffer.baseAddress, valueBuffer.baseAddress, 0)
            }
        }
    }

    private func waitUntilConnected() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            switch state {
            case .ready: continuation.resume()
            case .closed(let error): continuation.resume(throwing: error)
            case .connecting: connectWaiter = continuation
            }
        }
    }

    /// True while the session can take requests (connected and not broken).
    public var isUsable: Bool {
        guard case .ready = state, let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True when the session is inside a transaction block (open, or failed and awaiting ROLLBACK): a pool
    /// must not hand such a session to the next caller.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Requests queued or running.
    public var backlog: Int { pending.count + (current == nil ? 0 : 1) }

    /// Ends the session; queued and running requests fail with `connectionClosed`.
    public func close() {
        fail(PostgresError(.connectionClosed, "the connection was closed"))
    }

    // MARK: - Requests

    /// Queues `operation`; its continuation is resumed on the loop with one outcome per statement.
    func enqueue(_ request: PostgresOperation.Request, timeout: Duration?) async throws
        -> [Result<PostgresResult, PostgresError>]
    {
        precondition(loop.inEventLoop, "PostgresConnection used off its loop")
        let operation = PostgresOperation(request, timeout: timeout)
        let token = CancellationToken(connection: self, operation: operation)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                start(operation, continuation)
            }
        } onCancel: { [loop] in
            loop.execute { token.fire() }
        }
    }

    private func start(
        _ operation: PostgresOperation,
        _ continuation: CheckedContinuation<[Result<PostgresResult, PostgresError>], any Error>
    ) {
        operation.continuation = continuation
        if case .closed(let error) = state {
            finish(operation, throwing: error)
            return
        }
        if Task.isCancelled {
            finish(operation, throwing: CancellationError())
            return
        }
        if let timeout = operation.timeout {
            operation.timer = loop.postgresTimer(after: timeout) { [weak self, weak operation] in
                guard let self, let operation else { return }
                operation.timer = nil
                self.interrupt(operation, because: .deadline)
            }
        }
        pending.append(operation)
        startNext()
    }

    func startNext() {
        guard current == nil, case .ready = state, let handle, !pending.isEmpty else { return }
        let operation = pending.removeFirst()
        current = operation
        let sent: Bool
        switch operation.request {
        case .script(let sql):
            sent = PQsendQuery(handle, sql) == 1
        case .copyIn(let sql, _):
            sent = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1
        case .statements(let statements, let pipelined):
            if pipelined {
                sent =
                    PQenterPipelineMode(handle) == 1 && statements.allSatisfy { send($0, on: handle) }
                    && PQpipelineSync(handle) == 1
                operation.expectsSync = true
            } else {
                sent = send(statements[0], on: handle)
            }
        }
        guard sent else {
            let error = connectionError(.connectionClosed, fallback: "the request could not be sent")
            if PQstatus(handle) != CONNECTION_OK {
                fail(error)
            } else {
                if PQpipelineStatus(handle) != PQ_PIPELINE_OFF { _ = PQexitPipelineMode(handle) }
                current = nil
                finish(operation, throwing: error)
                startNext()
            }
            return
        }
        flush()
    }

    func send(_ statement: PostgresStatement, on handle: OpaquePointer) -> Bool {
        switch statement {
        case .query(let sql, let values, let binary):
            let parameters = EncodedParameters(values)
            return parameters.withCArrays { types, values, lengths, formats in
                PQsendQueryParams(handle, sql, parameters.count, types, values, lengths, formats, binary ? 1 : 0)
            } == 1
        case .prepare(let name, let sql):
            return PQsendPrepare(handle, name, sql, 0, nil) == 1
        case .execute(let name, let values, let binary):
            let parameters = EncodedParameters(values)
            return parameters.withCArrays { _, values, lengths, formats in
                PQsendQueryPrepared(handle, name, parameters.count, values, lengths, formats, binary ? 1 : 0)
            } == 1
        }
    }
}

/// Reaches a request from its task's cancellation handler (any thread); used on the loop only.
private final class CancellationToken: @unchecked Sendable {
    weak var connection: PostgresConnection?
    weak var operation: PostgresOperation?

    init(connection: PostgresConnection, operation: PostgresOperation) {
        self.connection = connection
        self.operation = operation
    }

    func fire() {
        guard let connection, let operation, operation.continuation != nil else { return }
        connection.interrupt(operation, because: .taskCancelled)
    }
}

/// What a connection dropped off its loop leaves for the loop to release (registration, libpq handle).
private final class Leftovers: @unchecked Sendable {
    let watcher: PostgresSocketWatcher
    let handle: OpaquePointer?

    init(watcher: PostgresSocketWatcher, handle: OpaquePointer?) {
        self.watcher = watcher
        self.handle = handle
    }

    func release() {
        watcher.stop()
        if let handle { PQfinish(handle) }
    }
}

/// Resolved `host`/`hostaddr`/`port` lists coming back from the blocking thread.
private struct ResolvedHosts: Sendable {
    var pairs: [(key: String, value: String)]
    init(_ pairs: [(key: String, value: String)]) { self.pairs = pairs }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}
