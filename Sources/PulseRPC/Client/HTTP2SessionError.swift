private import CNghttp2

/// A failure of the client's HTTP/2 session, from an nghttp2 return code.
public struct HTTP2SessionError: Error, Sendable, CustomStringConvertible {
    /// The nghttp2 error code (negative), kept for diagnostics.
    public let libraryCode: Int
    /// What the client was doing.
    public let operation: String

    init(libraryCode: Int, operation: String) {
        self.libraryCode = libraryCode
        self.operation = operation
    }

    /// nghttp2's description of the code.
    public var reason: String {
        String(cString: nghttp2_strerror(Int32(clamping: libraryCode)))
    }

    public var description: String {
        "HTTP/2 \(operation) failed: \(reason) (nghttp2 \(libraryCode))"
    }
}
