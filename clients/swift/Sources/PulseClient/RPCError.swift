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

    /// Creates an error from a code and message.
    public init(code: GRPCStatus.Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Creates an error from a non-OK call status.
    public init(_ status: GRPCStatus) {
        self.init(code: status.code, message: status.message)
    }

    public var description: String {
        message.isEmpty ? "RPC failed: \(code.name)" : "RPC failed: \(code.name): \(message)"
    }
}
