import PulseProtocol

/// The gRPC rules for one call's response, as a value type fed with its stream's HTTP/2 events.
///
/// It checks the response headers, deframes messages, and works out the call's final status from the
/// trailers, a Trailers-Only response, an HTTP error status or a stream reset. It does no I/O.
struct ClientCallMachine: Sendable {
    /// What the owner must do after an input.
    enum Action: Equatable, Sendable {
        /// Nothing yet.
        case none
        /// Deliver these complete messages (their bodies, without the 5-byte prefix).
        case deliver([[UInt8]])
        /// The call is over with this status; the stream already ended on the wire.
        case finish(GRPCStatus)
        /// The response broke the protocol: reset the stream (CANCEL) and end the call with this status.
        case abort(GRPCStatus)
    }

    private enum State: Sendable {
        case awaitingHeaders
        case receivingMessages
        case finished
    }

    private var state = State.awaitingHeaders
    private var deframer: GRPCMessageDeframer

    /// - Parameter maxMessageSize: the largest response message accepted (RESOURCE_EXHAUSTED beyond).
    init(maxMessageSize: Int = GRPCFraming.defaultMaxMessageSize) {
        deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
    }

    /// Whether the call has its final status.
    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// A complete header block arrived for the stream.
    mutating func receiveHeaders(_ fields: [HTTP2HeaderField], isTrailers: Bool, endStream: Bool) -> Action {
        switch state {
        case .finished:
            return .none
        case .awaitingHeaders:
            if let failure = Self.validateResponseHead(fields) {
                state = .finished
                return endStream ? .finish(failure) : .abort(failure)
            }
            if endStream {  // Trailers-Only: the status is in this one block
                state = .finished
                return .finish(Self.status(fromTrailers: fields))
            }
            state = .receivingMessages
            return .none
        case .receivingMessages:
            guard isTrailers || endStream else {
                state = .finished
                return .abort(GRPCStatus(.internal, "a second header block arrived before the trailers"))
            }
            state = .finished
            var status = Self.status(fromTrailers: fields)
            if status.isOK && deframer.hasPartialMessage {
                status = GRPCStatus(.internal, "the response ended inside a message")
            }
            return .finish(status)
        }
    }

    /// Body bytes arrived for the stream.
    mutating func receiveData(_ bytes: [UInt8]) -> Action {
        guard case .receivingMessages = state else {
            if case .finished = state { return .none }
            state = .finished
            return .abort(GRPCStatus(.internal, "DATA arrived before the response headers"))
        }
        deframer.append(bytes)
        var messages: [[UInt8]] = []
        do throws(GRPCStatus) {
            while let message = try deframer.next() {
                messages.append(message)
            }
        } catch {
            state = .finished
            return .abort(error)
        }
        return messages.isEmpty ? .none : .deliver(messages)
    }

    /// The stream closed; `errorCode` is the RST_STREAM code (0 for a normal end).
    mutating func streamClosed(errorCode: UInt32) -> Action {
        guard !isFinished else { return .none }
        state = .finished
        return .finish(Self.status(forReset: errorCode))
    }

    /// The status of a stream that ended without trailers.
    static func status(forReset errorCode: UInt32) -> GRPCStatus {
        switch errorCode {
        case HTTP2ErrorCode.refusedStream:
            return GRPCStatus(.unavailable, "the server refused the stream (REFUSED_STREAM); it was not processed")
        case HTTP2ErrorCode.cancel:
            return GRPCStatus(.cancelled, "the server cancelled the stream (RST_STREAM CANCEL)")
        case HTTP2ErrorCode.enhanceYourCalm:
            return GRPCStatus(.resourceExhausted, "the server asked the client to slow down (ENHANCE_YOUR_CALM)")
        case HTTP2ErrorCode.noError:
            return GRPCStatus(.internal, "the stream ended without trailers")
        default:
            return GRPCStatus(.internal, "the server reset the stream with HTTP/2 error code \(errorCode)")
        }
    }
}
