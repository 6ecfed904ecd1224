#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which operation failed and the `errno` it reported.
///
/// Every system call in PulseIO goes through ``IOError/check(_:_:)`` or ``IOError/fromErrno(_:)``,
/// so callers see one error type with the operation named, never a bare integer.
public struct IOError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The operation that failed, as the system call's name (`"bind"`, `"epoll_ctl"`, …).
    public var operation: String
    /// The `errno` value the call reported.
    public var errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// Captures the current thread's `errno` for `operation`.
    public static func fromErrno(_ operation: String) -> IOError {
        IOError(operation: operation, errno: Glibc.errno)
    }

    /// Returns `result` when it is not -1, otherwise throws the `errno` of `operation`.
    @discardableResult
    public static func check<T: BinaryInteger>(_ operation: String, _ result: T) throws(IOError) -> T {
        if result == -1 { throw fromErrno(operation) }
        return result
    }

    /// True when the call would have blocked; the caller should wait for readiness.
    public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }

    /// True when the peer went away (reset, broken pipe), which is not a server fault.
    public var isPeerGone: Bool { errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
