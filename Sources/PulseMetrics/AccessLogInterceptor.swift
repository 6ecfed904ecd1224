import Logging
import PulseProtocol
import PulseRPC

/// One structured log line per finished call — method, peer, status, duration, sizes and the request id — and
/// the request id echoed to the client in an `x-request-id` trailer.
///
/// The request id is the client's `x-request-id` when it sent a sane one, else the id an internal error's
/// message already carries (`internal error (id …)`), else a fresh random one: a client quoting the id of an
/// error finds the access line and the line with its cause under the same value.
public struct AccessLogInterceptor: ServerInterceptor {
    private let logger: Logger
    private let level: Logger.Level

    public init(logger: Logger, level: Logger.Level = .info) {
        var logger = logger
        logger[metadataKey: "log"] = "access"
        self.logger = logger
        self.level = level
    }

    public var hooks: ServerInterceptorHooks { [.finish, .timing] }

    public func didFinish(_ call: ServerCallSummary, trailers: inout Metadata) {
        let requestID = Self.requestID(of: call)
        trailers.append(name: "x-request-id", value: .text(requestID))
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "request_id": "\(requestID)", "method": "\(call.path)", "peer": "\(call.peer)",
            "code": "\(call.status.code)", "duration_ms": "\(Self.milliseconds(call.duration))",
            "request_bytes": "\(call.requestBytes)", "response_messages": "\(call.responseMessages)",
            "response_bytes": "\(call.responseBytes)",
        ]
        if call.status.code != .ok { metadata["message"] = "\(call.status.message)" }
        logger.log(level: level, "call", metadata: metadata)
    }

    /// The client's id, the internal error's id, or a new one.
    public static func requestID(of call: ServerCallSummary) -> String {
        RequestID.accepted(call.requestMetadata["x-request-id"]) ?? call.errorID ?? ErrorID.next()
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let whole = micros / 1000
        let fraction = micros % 1000
        return "\(whole)." + String(String(fraction + 1000).dropFirst())
    }
}
