/// A failure to start or run the server (binding, thread creation, session set-up).
public struct RPCServerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String { case bind, sessionSetup, alreadyStarted, io }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The address could not be resolved or bound.
        public static let bind = Code(.bind)
        /// nghttp2 could not create a session.
        public static let sessionSetup = Code(.sessionSetup)
        /// `start()` was called twice.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// A system call failed.
        public static let io = Code(.io)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String
    /// The underlying error, when there is one.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }
}
