/// A Redis command that did not succeed.
///
/// The description never names the server's address or the password of its URL: it may reach logs that
/// are shared and, through a careless handler, clients. The address is logged once by the client instead.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Sendable {
            case unavailable, timeout, server, closed, invalidConfiguration
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Not connected (connecting, reconnecting, refused): retry later.
        public static let unavailable = Code(.unavailable)
        /// No reply within the command's timeout; the connection was dropped and is being re-established.
        public static let timeout = Code(.timeout)
        /// Redis answered with an error reply (its message is kept: it names the command's problem).
        public static let server = Code(.server)
        /// The client was closed.
        public static let closed = Code(.closed)
        /// The Redis URL or settings cannot work.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String {
            switch wrapped {
            case .unavailable: return "unavailable"
            case .timeout: return "timeout"
            case .server: return "server error"
            case .closed: return "closed"
            case .invalidConfiguration: return "invalid configuration"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Redis \(code): \(message)" }
}
