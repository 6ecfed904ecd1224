import PulseIO
import PulseProtocol

/// One HTTP/2 stream carrying one gRPC call: its request head and body, its handler task, and the
/// bounded queue of framed response messages that the stream's data provider drains.
///
/// Lives on its connection's loop; only that thread touches it.
final class ServerStream {
    enum Phase { case receivingHeaders, receivingBody, running, finished }

    let id: Int32
    let connection: ServerConnection
    /// Position in the connection's ``StreamTable``.
    var slot = -1
    var head: RequestHead
    var phase = Phase.receivingHeaders
    var routeIndex = -1
    var deframer: GRPCMessageDeframer?
    var request: [UInt8]?
    var task: Task<Void, Never>?
    var deadlineTimer: TimerHandle?
    var deadline: UInt64?
    /// The client half-closed (END_STREAM received).
    var remoteClosed = false
    /// nghttp2 closed the stream; nothing may be submitted for it any more.
    var isClosed = false

    // Outbound.
    var headersSubmitted = false
    var finalStatus: GRPCStatus?
    var trailersSubmitted = false
    var dataDeferred = false
    /// Custom response headers and trailers set by the handler or interceptors.
    var responseHeaders = Metadata()
    var responseTrailers = Metadata()
    /// When the request's headers began (monotonic ns; 0 when no interceptor measures durations).
    var startedAt: UInt64 = 0
    /// Message sizes for interceptors: the request body, and the response bodies queued.
    var requestBytes = 0
    var responseMessages = 0
    var responseBytes = 0
    /// Error code to reset with once the trailers are out (CANCEL after a deadline, NO_ERROR when the
    /// client is still sending).
    var resetAfterTrailers: UInt32?
    /// Run once when the stream is gone (closed, reset, or its connection closed): releases interceptors took
    /// for the call, such as an open-stream slot of an API key.
    var endActions: [@Sendable () -> Void] = []
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    private var sendOffset = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterID = 0
    let queueLimit: Int

    init(id: Int32, connection: ServerConnection, maxHeaderListSize: Int, queueLimit: Int) {
        self.id = id
        self.connection = connection
        self.head = RequestHead(maxHeaderListSize: maxHeaderListSize)
        self.queueLimit = max(1, queueLimit)
    }

    var queuedMessages: Int { queue.count - queueHead }
    var hasQueuedOutput: Bool { queueHead < queue.count }
    /// The response is decided (status set) or the stream is gone: handlers may not send any more.
    var isOver: Bool { finalStatus != nil || isClosed }

    // MARK: Producer side

    /// Appends a framed message, waiting while the queue is full.
    func enqueue(_ framed: [UInt8]) async throws {
        while true {
            if isOver { throw GRPCStatus(.cancelled, "the call is over") }
            try Task.checkCancellation()
            try checkSize(framed)
            if queuedMessages < queueLimit {
                countResponse(framed)
                queue.append(framed)
                connection.outboundReady(self)
                return
            }
            try await waitForSpace()
        }
    }

    /// Appends without waiting; when full, replaces the newest message not yet being sent.
    func enqueueReplacingNewest(_ framed: [UInt8]) throws -> Bool {
        if isOver { throw GRPCStatus(.cancelled, "the call is over") }
        try checkSize(framed)
        countResponse(framed)
        let last = queue.count - 1
        let replaceable = queuedMessages >= queueLimit && !(last == queueHead && sendOffset > 0)
        if replaceable {
            queue[last] = framed
        } else {
            queue.append(framed)
        }
        connection.outboundReady(self)
        return replaceable
    }

    /// Queues the unary response or a final message without flow checks (one message).
    func enqueueFinal(_ framed: [UInt8]) {
        countResponse(framed)
        queue.append(framed)
    }

    private func countResponse(_ framed: [UInt8]) {
        responseMessages += 1
        responseBytes += framed.count - GRPCFraming.prefixSize
    }

    private func checkSize(_ framed: [UInt8]) throws(GRPCStatus) {
        let size = framed.count - GRPCFraming.prefixSize
        let limit = connection.core.configuration.maxMessageSize
        if size > limit {
            throw GRPCStatus(
                .resourceExhausted, "response message of \(size) bytes exceeds the limit of \(limit) bytes")
        }
    }

    private func waitForSpace() async throws {
        let id = nextWaiterID
        nextWaiterID += 1
        let handle = LoopBound(self, loop: connection.loop)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            handle.execute { $0.failWaiter(id, CancellationError()) }
        }
    }

    private func failWaiter(_ id: Int, _ error: any Error) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: error)
    }

    /// Ends every waiting producer: the call is over.
    func failAllWaiters() {
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.continuation.resume(throwing: GRPCStatus(.cancelled, "the call is over")) }
    }

    // MARK: Consumer side (nghttp2 data provider)

    /// Copies queued bytes into `buffer`; returns the count (0 when nothing is queued).
    func drain(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        var written = 0
        var freed = false
        while written < capacity && queueHead < queue.count {
            let copied = queue[queueHead].withUnsafeBytes { message -> Int in
                let count = min(message.count - sendOffset, capacity - written)
                (buffer + written).copyMemory(from: message.baseAddress! + sendOffset, byteCount: count)
                return count
            }
            written += copied
            sendOffset += copied
            if sendOffset == queue[queueHead].count {
                queue[queueHead] = []
                queueHead += 1
                sendOffset = 0
                freed = true
            }
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 64)
            queueHead = 0
        } else if queueHead >= 32 {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        if freed { wakeProducers() }
        return written
    }

    private func wakeProducers() {
        while !waiters.isEmpty && queuedMessages < queueLimit {
            waiters.removeFirst().continuation.resume()
        }
    }
}

@available(*, unavailable)
extension ServerStream: Sendable {}
