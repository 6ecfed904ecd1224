import PulseProtocol
import PulseRPC

/// The typed responses of a server-streaming call.
///
/// Ends when the server finishes with OK; throws `RPCError` when the call fails, including
/// DEADLINE_EXCEEDED and CANCELLED.
public struct ResponseStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    public typealias Failure = RPCError

    private let raw: ClientResponseStream
    private let method: GRPCMethod

    init(raw: ClientResponseStream, method: GRPCMethod) {
        self.raw = raw
        self.method = method
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(raw: raw.makeAsyncIterator(), method: method, stream: raw)
    }

    /// Cancels the call now (RST_STREAM CANCEL).
    public func cancel() {
        raw.cancel()
    }

    /// Reads and decodes the stream's messages.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        fileprivate var raw: ClientResponseStream.Iterator
        fileprivate let method: GRPCMethod
        fileprivate let stream: ClientResponseStream

        public mutating func next() async throws(RPCError) -> Message? {
            let body: [UInt8]?
            do {
                body = try await raw.next()
            } catch {
                throw RPCError(error)
            }
            guard let body else { return nil }
            do {
                return try Message(serializedBytes: body)
            } catch {
                stream.cancel()
                throw RPCError(code: .internal, message: "a \(method) message does not decode: \(error)")
            }
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(RPCError) -> Message? {
            try await next()
        }
    }
}
