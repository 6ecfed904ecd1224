/// A failure talking to PostgreSQL: what kind (``Code``), a message fit to show, and the server's SQLSTATE when
/// the server reported the error.
///
/// The message never carries the connection string, host, port, user or password: libpq's connection errors
/// quote them, so those are redacted before they are stored here (see ``PostgresConfiguration``).
///
/// ```swift
/// do { try await connection.query("SELECT * FROM missing") } catch let error as PostgresError {
///     if error.sqlState == "42P01" { … }   // undefined_table
/// }
/// ```
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, independent of the message text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, connectionFailed, connectionClosed, server, timedOut, protocolViolation,
                decoding, migration
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection settings cannot be used (a malformed URL, an unknown keyword).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A connection could not be established (refused, authentication, name resolution, timeout).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke or was closed while in use; the call's outcome is unknown.
        public static let connectionClosed = Code(.connectionClosed)
        /// The server refused the statement; ``PostgresError/sqlState`` says why.
        public static let server = Code(.server)
        /// The call's deadline passed and it was cancelled.
        public static let timedOut = Code(.timedOut)
        /// libpq or the server answered something the client did not expect.
        public static let protocolViolation = Code(.protocolViolation)
        /// A value could not be decoded as the type asked for.
        public static let decoding = Code(.decoding)
        /// The schema migrations cannot be applied (a file is missing or was changed after it was applied).
        public static let migration = Code(.migration)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable message with no credentials or host names in it.
    public var message: String
    /// The five-character SQLSTATE the server reported (`"23505"` unique violation, `"42P01"` undefined table).
    public var sqlState: String?
    /// The server's DETAIL field, when it sent one (it may quote row values, never connection settings).
    public var detail: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
    }

    public var description: String {
        var text = "PostgreSQL \(code): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        return text
    }
}
