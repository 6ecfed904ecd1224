import PulseProtocol

/// A failed call: the gRPC status code and message the server (or the client itself) gave.
///
/// ```swift
/// do {
///     _ = try await client.diagnostics.echo([1, 2, 3], options: CallOptions(timeout: .milliseconds(50)))
/// } catch let error where error.code == .deadlineExceeded {
///     // retry later
/// }
/// ```
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The gRPC status code.
    public var code: GRPCStatus.Code
    /// What went wrong, for a person to read (the server's `grpc-message`, or the client's own reason).
    public var message: String
    /// The server's `grpc-status-details-bin` (a serialized `google.rpc.Status`), empty when it sent none.
    public var details: [UInt8] = []

    /// Creates an error from a code and message.
    public init(code: GRPCStatus.Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Creates an error from a non-OK call status.
    public init(_ status: GRPCStatus) {
        self.init(code: status.code, message: status.message)
        details = status.details
    }

    /// The `google.rpc.RetryInfo` delay in the status details (a rate limit's RESOURCE_EXHAUSTED carries one).
    public var retryDelay: Duration? {
        guard !details.isEmpty, let status = try? GoogleRPC.Status(serializedBytes: details) else { return nil }
        for detail in status.details where detail.typeURL == GoogleRPC.RetryInfo.typeURL {
            if let delay = (try? GoogleRPC.RetryInfo(serializedBytes: detail.value))?.retryDelay {
                return .seconds(delay.seconds) + .nanoseconds(Int64(delay.nanos))
            }
        }
        return nil
    }

    public var description: String {
        message.isEmpty ? "RPC failed: \(code.name)" : "RPC failed: \(code.name): \(message)"
    }
}
