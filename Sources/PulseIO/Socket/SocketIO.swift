#if canImport(Glibc)
    import Glibc
#endif

/// Non-blocking reads and writes on a connected socket descriptor, with errno turned into ``IOError``.
public enum SocketIO {
    /// The outcome of a non-blocking read.
    public enum ReadResult: Equatable, Sendable {
        case bytes(Int)
        case wouldBlock
        case endOfStream
    }

    /// Reads up to `buffer.count` bytes.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> ReadResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfStream }
            let error = IOError.fromErrno("read")
            if error.errno == EINTR { continue }
            if error.isWouldBlock { return .wouldBlock }
            throw error
        }
    }

    /// Writes what the socket takes now; returns the number of bytes written (0 when it would block).
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(IOError) -> Int {
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return count }
            let error = IOError.fromErrno("send")
            if error.errno == EINTR { continue }
            if error.isWouldBlock { return 0 }
            throw error
        }
    }

    /// Closes a descriptor.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The outcome of a non-blocking connect once the socket is writable: nil when connected, else the errno.
    public static func connectionError(of fd: Int32) -> Int32? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error == 0 ? nil : error
    }

    /// `HOST:PORT` of the peer, for logs.
    public static func peerDescription(_ fd: Int32) -> String {
        SocketAddress.peer(of: fd)?.description ?? "unknown"
    }
}
