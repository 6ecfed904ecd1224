import PulseProtocol

/// The response messages of a server-streaming call, as raw message bodies, in order.
///
/// Iteration ends normally when the server finishes with OK and throws the call's `GRPCStatus`
/// otherwise. Reading slowly slows the server down (HTTP/2 flow control); cancelling the reading
/// task, or dropping the stream before its end, cancels the RPC.
public struct ClientResponseStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = GRPCStatus

    private let lifetime: Lifetime

    init(buffer: ClientStreamBuffer) {
        lifetime = Lifetime(buffer: buffer)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(lifetime: lifetime)
    }

    /// Reads the stream's messages.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        fileprivate let lifetime: Lifetime

        public mutating func next() async throws(GRPCStatus) -> [UInt8]? {
            try await lifetime.buffer.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(GRPCStatus) -> [UInt8]? {
            try await lifetime.buffer.next()
        }
    }

    /// Cancels the RPC when nobody can read it any more.
    fileprivate final class Lifetime: Sendable {
        let buffer: ClientStreamBuffer
        init(buffer: ClientStreamBuffer) { self.buffer = buffer }
        deinit { buffer.cancel() }
    }

    /// Cancels the RPC now (RST_STREAM CANCEL); the next read throws CANCELLED.
    public func cancel() {
        lifetime.buffer.cancel()
    }
}
