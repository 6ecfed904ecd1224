import PulseMarketData

/// A function the runtime serves: one event's bytes in, the response's bytes out.
///
/// Throw ``LambdaFunctionError`` for a failure the caller should see by type (the invocation error's
/// `errorType`); anything else is reported as `Runtime.Unhandled` with a generic message and an id, its cause
/// going to the function's log under the same id.
public protocol LambdaHandler: Sendable {
    func handle(_ payload: [UInt8], context: LambdaContext) async throws -> [UInt8]
}

/// An invocation (or initialisation) failure as the Runtime API takes it: `{"errorType", "errorMessage"}`.
public struct LambdaFunctionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `Category.Reason`, as Lambda's own (`Runtime.ExitError`, `Sandbox.Timedout`): ours are
    /// `Function.BadEvent`, `Function.Timeout`, `Function.Failed`, `Runtime.Unhandled`, `Runtime.InitFailed`.
    public var type: String
    public var message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    public static func badEvent(_ message: String) -> LambdaFunctionError {
        LambdaFunctionError(type: "Function.BadEvent", message: message)
    }

    public var description: String { "\(type): \(message)" }

    /// The Runtime API's error document.
    public var json: String {
        JSONValue.object([
            JSONMember(name: "errorType", value: .string(type)),
            JSONMember(name: "errorMessage", value: .string(message)),
            JSONMember(name: "stackTrace", value: .array([])),
        ]).json
    }
}
