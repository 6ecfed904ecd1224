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
    private var handle: OpaquePointer?
    private let watcher: PostgresSocketWatcher
    private var state: State = .connecting
    private var connectWaiter: CheckedContinuation<Void, any Error>?
    private var connectTimer: TimerHandle?
    private var pending: [PostgresOperation] = []
    private var current: PostgresOperation?
    private var wantsWrite = false

    private enum State {
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
            let outcome = await PostgresBlocking.run {
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

    private func startNext() {
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

    private func send(_ statement: PostgresStatement, on handle: OpaquePointer) -> Bool {
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

    // MARK: - Socket events

    func socketReady(readable: Bool, writable: Bool) {
        guard let handle else { return }
        switch state {
        case .closed:
            return
        case .connecting:
            pollConnect(handle)
        case .ready:
            if readable {
                if PQconsumeInput(handle) == 0 {
                    fail(connectionError(.connectionClosed, fallback: "the connection to the database broke"))
                    return
                }
                if wantsWrite { flush() }
                processInput(handle)
            }
            if writable, case .ready = state {
                flush()
                if let operation = current, operation.isCopying { pumpCopy(operation, handle) }
            }
        }
    }

    private func pollConnect(_ handle: OpaquePointer) {
        let status = PQconnectPoll(handle)
        do {
            switch status {
            case PGRES_POLLING_READING:
                try watcher.watch(PQsocket(handle), readable: true, writable: false)
            case PGRES_POLLING_WRITING:
                try watcher.watch(PQsocket(handle), readable: false, writable: true)
            case PGRES_POLLING_OK:
                guard PQsetnonblocking(handle, 1) == 0 else {
                    fail(PostgresError(.connectionFailed, "cannot switch the connection to non-blocking mode"))
                    return
                }
                try watcher.watch(PQsocket(handle), readable: true, writable: false)
                state = .ready
                if let timer = connectTimer { loop.cancelTimer(timer) }
                connectTimer = nil
                connectWaiter?.resume()
                connectWaiter = nil
                startNext()
            default:
                fail(connectionError(.connectionFailed, fallback: "cannot connect to the database"))
            }
        } catch {
            fail(error)
        }
    }

    /// Sends what libpq has buffered; watches for writability while some is left.
    private func flush() {
        guard let handle, case .ready = state else { return }
        let result = PQflush(handle)
        if result < 0 {
            fail(connectionError(.connectionClosed, fallback: "writing to the database failed"))
            return
        }
        let blockedCopy = current.map { $0.isCopying && $0.copyOffset < copyData($0).count } ?? false
        setWriteInterest(result == 1 || blockedCopy)
    }

    private func setWriteInterest(_ wanted: Bool) {
        guard let handle else { return }
        wantsWrite = wanted
        do {
            try watcher.watch(PQsocket(handle), readable: true, writable: wanted)
        } catch {
            fail(error)
        }
    }

    /// Reads every result libpq can hand over without blocking, finishing operations as they complete.
    private func processInput(_ handle: OpaquePointer) {
        while case .ready = state, let operation = current, !operation.isCopying, PQisBusy(handle) == 0 {
            guard let result = PQgetResult(handle) else {
                operation.slot += 1
                if operation.slot >= operation.outcomes.count && !operation.expectsSync { complete(operation) }
                continue
            }
            let status = PQresultStatus(result)
            switch status {
            case PGRES_PIPELINE_SYNC:
                PQclear(result)
                _ = PQexitPipelineMode(handle)
                complete(operation)
            case PGRES_COPY_IN:
                PQclear(result)
                operation.copyStarted = true
                pumpCopy(operation, handle)
            case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
                operation.record(.failure(PostgresResult.serverError(result)))
                PQclear(result)
            case PGRES_PIPELINE_ABORTED:
                PQclear(result)
                operation.record(
                    .failure(PostgresError(.server, "not run: an earlier statement of the pipeline failed")))
            case PGRES_COPY_OUT, PGRES_COPY_BOTH:
                PQclear(result)
                fail(PostgresError(.protocolViolation, "COPY TO STDOUT is not supported on this connection"))
            default:
                operation.record(.success(PostgresResult(result)))
            }
        }
    }

    private func copyData(_ operation: PostgresOperation) -> [UInt8] {
        if case .copyIn(_, let data) = operation.request { return data }
        return []
    }

    /// Queues COPY data until libpq's buffer is full (then waits for writability), then ends the COPY.
    private func pumpCopy(_ operation: PostgresOperation, _ handle: OpaquePointer) {
        guard case .copyIn(_, let data) = operation.request else {
            _ = PQputCopyEnd(handle, "unexpected COPY")
            operation.copyEnded = true
            flush()
            return
        }
        while operation.copyOffset < data.count {
            let count = min(data.count - operation.copyOffset, 256 * 1024)
            let result = data.withUnsafeBytes { raw in
                PQputCopyData(
                    handle, raw.baseAddress!.assumingMemoryBound(to: CChar.self) + operation.copyOffset, Int32(count))
            }
            if result == 1 {
                operation.copyOffset += count
            } else if result == 0 {
                setWriteInterest(true)
                return
            } else {
                // The server ended the COPY (an error is on its way) or the connection broke: read what is left.
                operation.copyEnded = true
                flush()
                processInput(handle)
                return
            }
        }
        let ended = PQputCopyEnd(handle, nil)
        if ended == 0 {
            setWriteInterest(true)
            return
        }
        operation.copyEnded = true
        flush()
        processInput(handle)
    }

    // MARK: - Completion

    private func complete(_ operation: PostgresOperation) {
        current = nil
        let outcomes = operation.outcomes.map { outcome -> Result<PostgresResult, PostgresError> in
            let outcome = outcome ?? .failure(PostgresError(.protocolViolation, "the server sent no result"))
            if operation.timedOut, case .failure(let error) = outcome, error.sqlState == "57014" {
                return .failure(PostgresError(.timedOut, "the deadline passed and the statement was cancelled"))
            }
            return outcome
        }
        if let timer = operation.timer { loop.cancelTimer(timer) }
        operation.timer = nil
        let wasCancelled = outcomes.contains { if case .failure(let e) = $0 { e.sqlState == "57014" } else { false } }
        if operation.cancelledByTask && wasCancelled {
            operation.continuation?.resume(throwing: CancellationError())
        } else {
            operation.continuation?.resume(returning: outcomes)
        }
        operation.continuation = nil
        startNext()
    }

    private func finish(_ operation: PostgresOperation, throwing error: any Error) {
        if let timer = operation.timer { loop.cancelTimer(timer) }
        operation.timer = nil
        operation.continuation?.resume(throwing: error)
        operation.continuation = nil
    }

    enum InterruptReason { case deadline, taskCancelled }

    /// A request's deadline passed or its task was cancelled: a queued one fails at once; a running one is
    /// cancelled through `PQcancel` on a blocking thread (it blocks in libpq 15), and the connection is dropped
    /// if the server does not answer within a grace period.
    func interrupt(_ operation: PostgresOperation, because reason: InterruptReason) {
        if let index = pending.firstIndex(where: { $0 === operation }) {
            pending.remove(at: index)
            switch reason {
            case .deadline:
                finish(operation, throwing: PostgresError(.timedOut, "the deadline passed before the statement ran"))
            case .taskCancelled:
                finish(operation, throwing: CancellationError())
            }
            return
        }
        guard current === operation, let handle, !operation.timedOut, !operation.cancelledByTask else { return }
        switch reason {
        case .deadline: operation.timedOut = true
        case .taskCancelled: operation.cancelledByTask = true
        }
        if let timer = operation.timer { loop.cancelTimer(timer) }
        guard let cancel = PQgetCancel(handle) else { return }
        let box = CancelHandle(pointer: cancel)
        PostgresBlocking.start {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(box.pointer, &buffer, Int32(buffer.count))
            PQfreeCancel(box.pointer)
        }
        operation.timer = loop.postgresTimer(after: .seconds(5)) { [weak self, weak operation] in
            guard let self, let operation, self.current === operation else { return }
            self.fail(PostgresError(.timedOut, "the deadline passed and the server did not answer the cancel"))
        }
    }

    /// Closes the session for good: every queued and running request fails with `error`.
    private func fail(_ error: PostgresError) {
        if case .closed = state { return }
        state = .closed(error)
        watcher.stop()
        if let timer = connectTimer { loop.cancelTimer(timer) }
        connectTimer = nil
        connectWaiter?.resume(throwing: error)
        connectWaiter = nil
        let closedError =
            error.code == .connectionFailed ? error : PostgresError(.connectionClosed, error.message)
        if let operation = current {
            current = nil
            finish(operation, throwing: error.code == .timedOut ? error : closedError)
        }
        let queued = pending
        pending.removeAll()
        for operation in queued { finish(operation, throwing: closedError) }
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
    }

    /// libpq's last error (which may quote host, port and user) with the configuration's secrets redacted.
    private func connectionError(_ code: PostgresError.Code, fallback: String) -> PostgresError {
        guard let handle, let raw = PQerrorMessage(handle), raw.pointee != 0 else {
            return PostgresError(code, fallback)
        }
        return PostgresError(code, configuration.redact(String(cString: raw)))
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

/// A `PGcancel` handed to a blocking thread; used there once and freed.
private struct CancelHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}
