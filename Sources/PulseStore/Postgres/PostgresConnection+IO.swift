private import CLibPQ
import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

extension PostgresConnection {
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

    func pollConnect(_ handle: OpaquePointer) {
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
    func flush() {
        guard let handle, case .ready = state else { return }
        let result = PQflush(handle)
        if result < 0 {
            fail(connectionError(.connectionClosed, fallback: "writing to the database failed"))
            return
        }
        let blockedCopy = current.map { $0.isCopying && $0.copyOffset < copyData($0).count } ?? false
        setWriteInterest(result == 1 || blockedCopy)
    }

    func setWriteInterest(_ wanted: Bool) {
        guard let handle else { return }
        wantsWrite = wanted
        do {
            try watcher.watch(PQsocket(handle), readable: true, writable: wanted)
        } catch {
            fail(error)
        }
    }

    /// Reads every result libpq can hand over without blocking, finishing operations as they complete.
    func processInput(_ handle: OpaquePointer) {
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

    func copyData(_ operation: PostgresOperation) -> [UInt8] {
        if case .copyIn(_, let data) = operation.request { return data }
        return []
    }

    /// Queues COPY data until libpq's buffer is full (then waits for writability), then ends the COPY.
    func pumpCopy(_ operation: PostgresOperation, _ handle: OpaquePointer) {
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
}
