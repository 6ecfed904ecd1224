private import CLibPQ
import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

extension PostgresConnection {
    // MARK: - Completion

    func complete(_ operation: PostgresOperation) {
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

    func finish(_ operation: PostgresOperation, throwing error: any Error) {
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
        PostgresBlocking.start(on: configuration.blockingPool) {
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
    func fail(_ error: PostgresError) {
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
    func connectionError(_ code: PostgresError.Code, fallback: String) -> PostgresError {
        guard let handle, let raw = PQerrorMessage(handle), raw.pointee != 0 else {
            return PostgresError(code, fallback)
        }
        return PostgresError(code, configuration.redact(String(cString: raw)))
    }
}

/// A `PGcancel` handed to a blocking thread; used there once and freed.
private struct CancelHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
