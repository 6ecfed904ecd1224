import PulseIO
import PulseProtocol

/// The life of a call on this connection: validation, dispatch to its handler, the response.
extension ServerConnection {
    func headersComplete(_ stream: ServerStream) {
        switch stream.head.verdict() {
        case .rejectHTTP(let status, let reason):
            stream.phase = .finished
            respondHTTPError(stream, status: status, reason: reason)
        case .rejectGRPC(let status):
            finish(stream, status)
        case .accept(let routeIndex):
            stream.routeIndex = routeIndex
            stream.phase = .receivingBody
            stream.deframer = GRPCMessageDeframer(
                maxMessageSize: core.configuration.maxMessageSize, messageEncoding: stream.head.messageEncoding)
            if let timeout = stream.head.timeout { armDeadline(stream, timeout) }
        }
    }

    func requestEnded(_ stream: ServerStream) {
        stream.remoteClosed = true
        guard stream.phase == .receivingBody else { return }
        if stream.deframer?.hasPartialMessage == true {
            finish(stream, GRPCStatus(.internal, "request ended inside a message"))
        } else if stream.request == nil {
            finish(stream, GRPCStatus(.internal, "request ended without a message"))
        } else {
            dispatch(stream)
        }
    }

    private func dispatch(_ stream: ServerStream) {
        stream.phase = .running
        let definition = core.router.routes[stream.routeIndex].definition
        let context = ServerContext(
            method: definition.method, metadata: stream.head.metadata, deadline: stream.deadline, loop: loop,
            computePool: core.computePool, blockingPool: core.blockingPool, peer: peer,
            call: LoopBound(stream, loop: loop))
        let request = stream.request!
        stream.request = nil
        stream.deframer = nil
        let bound = LoopBound(stream, loop: loop)
        let interceptors = core.interceptors.start
        switch definition.handler {
        case .unary(let handler):
            stream.task = Task(executorPreference: loop) {
                let result: Result<ResponseMessage, any Error>
                do {
                    for interceptor in interceptors where try !interceptor.admitWithoutSuspending(context) {
                        try await interceptor.willStart(context)
                    }
                    result = .success(try await handler(request, context))
                } catch {
                    result = .failure(error)
                }
                bound.value.connection.unaryCompleted(bound.value, result)
            }
        case .serverStreaming(let handler):
            let writer = RawStreamWriter(loop: loop, stream: stream)
            stream.task = Task(executorPreference: loop) {
                var status = GRPCStatus.ok
                do {
                    for interceptor in interceptors where try !interceptor.admitWithoutSuspending(context) {
                        try await interceptor.willStart(context)
                    }
                    try await handler(request, writer, context)
                } catch {
                    status = bound.value.connection.status(for: error, stream: bound.value)
                }
                bound.value.connection.finish(bound.value, status)
            }
        }
    }

    private func unaryCompleted(_ stream: ServerStream, _ result: Result<ResponseMessage, any Error>) {
        if stream.isOver { return }
        switch result {
        case .success(let response):
            if response.bodySize > core.configuration.maxMessageSize {
                finish(
                    stream, GRPCStatus(.resourceExhausted, "response of \(response.bodySize) bytes exceeds the limit"))
            } else {
                stream.enqueueFinal(response.framed)
                finish(stream, .ok)
            }
        case .failure(let error):
            finish(stream, status(for: error, stream: stream))
        }
    }

    func status(for error: any Error, stream: ServerStream) -> GRPCStatus {
        if let status = error as? GRPCStatus { return status }
        if error is CancellationError {
            if let deadline = stream.deadline, MonotonicClock.now() >= deadline {
                return GRPCStatus(.deadlineExceeded, "deadline exceeded")
            }
            return GRPCStatus(.cancelled, "call cancelled")
        }
        // An error the handler did not turn into a status may describe a connection string, a host or SQL:
        // the client gets only a generic message and an id; the cause goes to the log under the same id.
        let path = core.router.routes[stream.routeIndex].definition.method.path
        let errorID = RequestID.accepted(stream.head.metadata["x-request-id"]) ?? ErrorID.next()
        stream.errorID = errorID
        core.logger.warning(
            "handler failed: \(String(reflecting: error))",
            metadata: ["method": "\(path)", "peer": "\(peer)", "error_id": "\(errorID)"])
        return GRPCStatus(.unknown, "internal error (id \(errorID))")
    }

    /// Decides the call's final status and queues what is left: trailers after the data, or a
    /// Trailers-Only response when nothing was sent yet.
    func finish(_ stream: ServerStream, _ status: GRPCStatus) {
        if stream.isOver { return }
        if !core.interceptors.finish.isEmpty { callFinished(stream, status) }
        stream.finalStatus = status
        stream.phase = .finished
        stream.failAllWaiters()
        if let timer = stream.deadlineTimer {
            loop.cancelTimer(timer)
            stream.deadlineTimer = nil
        }
        if stream.resetAfterTrailers == nil && !stream.remoteClosed {
            stream.resetAfterTrailers = HTTP2ErrorCode.noError
        }
        if !stream.headersSubmitted {
            stream.headersSubmitted = true
            if stream.hasQueuedOutput {
                submitResponseHead(stream)
            } else {
                stream.trailersSubmitted = true
                HeaderFields.withTrailers(
                    status, trailersOnly: true, headers: stream.responseHeaders, trailers: stream.responseTrailers
                ) { fields, count in
                    session.submitResponse(streamID: stream.id, fields, count, withBody: false)
                }
            }
        } else if stream.dataDeferred {
            stream.dataDeferred = false
            session.resumeData(streamID: stream.id)
        }
        requestFlush()
    }

    private func respondHTTPError(_ stream: ServerStream, status: Int, reason: String) {
        core.recordHTTPRejection(on: loop)
        stream.headersSubmitted = true
        stream.trailersSubmitted = true
        stream.finalStatus = GRPCStatus(.internal, reason)
        if !stream.remoteClosed { stream.resetAfterTrailers = HTTP2ErrorCode.noError }
        let grpc = GRPCStatus(status == 415 || status == 405 ? .unimplemented : .internal, reason)
        HeaderFields.withHTTPError(status: status, grpc) { fields, count in
            session.submitResponse(streamID: stream.id, fields, count, withBody: false)
        }
        requestFlush()
    }

    /// A producer queued a message: start the response or wake the deferred data provider.
    func outboundReady(_ stream: ServerStream) {
        if stream.isClosed || isClosed { return }
        if !stream.headersSubmitted {
            stream.headersSubmitted = true
            submitResponseHead(stream)
        } else if stream.dataDeferred {
            stream.dataDeferred = false
            session.resumeData(streamID: stream.id)
        }
        requestFlush()
    }

    private func submitResponseHead(_ stream: ServerStream) {
        if stream.responseHeaders.isEmpty {
            HeaderFields.responseHead.withUnsafeBufferPointer { fields in
                session.submitResponse(streamID: stream.id, fields.baseAddress, fields.count, withBody: true)
            }
        } else {
            HeaderFields.withResponseHead(headers: stream.responseHeaders) { fields, count in
                session.submitResponse(streamID: stream.id, fields, count, withBody: true)
            }
        }
    }

    /// Tells the finish interceptors (call statistics first) how the call ended; they may add trailers.
    func callFinished(_ stream: ServerStream, _ status: GRPCStatus) {
        let duration: Duration =
            stream.startedAt == 0 ? .zero : .nanoseconds(Int64(clamping: MonotonicClock.now() &- stream.startedAt))
        let summary = ServerCallSummary(
            method: stream.routeIndex >= 0 ? core.router.routes[stream.routeIndex].definition.method : nil,
            unknownPath: stream.routeIndex >= 0 ? nil : stream.head.path, peer: peer,
            requestMetadata: stream.head.metadata, status: status, duration: duration,
            requestBytes: stream.requestBytes, responseMessages: stream.responseMessages,
            responseBytes: stream.responseBytes, loop: loop, errorID: stream.errorID)
        for interceptor in core.interceptors.finish {
            interceptor.didFinish(summary, trailers: &stream.responseTrailers)
        }
    }

    /// The body provider: copies queued messages; at the end sends the trailers in the same pass.
    func sessionResponseBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2ResponseChunk {
        guard let stream = session.stream(streamID) else { return .unknownStream }
        let written = stream.drain(into: buffer.baseAddress!, capacity: buffer.count)
        if !stream.hasQueuedOutput, let status = stream.finalStatus, !stream.trailersSubmitted {
            stream.trailersSubmitted = true
            HeaderFields.withTrailers(status, trailersOnly: false, trailers: stream.responseTrailers) { fields, count in
                session.submitTrailer(streamID: streamID, fields, count)
            }
            return .last(written)
        }
        if written == 0 {
            stream.dataDeferred = true
            return .deferred
        }
        return .bytes(written)
    }

    // MARK: Deadlines

    private func armDeadline(_ stream: ServerStream, _ timeout: GRPCTimeout) {
        let now = MonotonicClock.now()
        let nanoseconds = UInt64(timeout.nanoseconds)
        let deadline = nanoseconds > UInt64.max - now ? UInt64.max : now + nanoseconds
        stream.deadline = deadline
        if deadline == .max { return }
        stream.deadlineTimer = loop.scheduleTimer(deadline: deadline) { [self] in
            stream.deadlineTimer = nil
            deadlineExceeded(stream)
        }
    }

    private func deadlineExceeded(_ stream: ServerStream) {
        if stream.isOver { return }
        stream.task?.cancel()
        if !stream.remoteClosed { stream.resetAfterTrailers = HTTP2ErrorCode.cancel }
        finish(stream, GRPCStatus(.deadlineExceeded, "deadline exceeded"))
    }
}
