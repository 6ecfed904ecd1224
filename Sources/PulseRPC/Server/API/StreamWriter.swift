import PulseIO
import PulseProtocol

/// The outbound side of a server-streaming call: a bounded queue feeding HTTP/2 flow control.
///
/// ``send(_:)`` suspends while the queue is full, so a producer never runs ahead of a slow reader;
/// ``sendLatest(_:)`` never waits and replaces the newest queued message instead (for conflating
/// producers such as market-data ticks). Both throw ``GRPCStatus`` CANCELLED once the call is over.
public final class RawStreamWriter: Sendable {
    let loop: EventLoop
    /// Used only on `loop`; every entry point hops there first.
    private let stream: LoopBound<ServerStream>

    init(loop: EventLoop, stream: ServerStream) {
        self.loop = loop
        self.stream = LoopBound(stream, loop: loop)
    }

    /// Sends one message body, waiting while the stream's queue is full.
    public func send(_ body: [UInt8]) async throws {
        try await sendFramed(GRPCFraming.frame(body: body))
    }

    /// Queues one message body without waiting; when the queue is full the newest queued message
    /// (not yet being sent) is replaced. Returns true when a message was replaced.
    @discardableResult
    public func sendLatest(_ body: [UInt8]) async throws -> Bool {
        try await sendFramedLatest(GRPCFraming.frame(body: body))
    }

    /// Messages currently queued and not yet handed to HTTP/2.
    public var queuedCount: Int {
        get async {
            if loop.inEventLoop { return stream.value.queuedMessages }
            return await withTaskExecutorPreference(loop) { stream.value.queuedMessages }
        }
    }

    func sendFramed(_ framed: [UInt8]) async throws {
        if loop.inEventLoop {
            try await stream.value.enqueue(framed)
        } else {
            try await withTaskExecutorPreference(loop) { try await stream.value.enqueue(framed) }
        }
    }

    func sendFramedLatest(_ framed: [UInt8]) async throws -> Bool {
        if loop.inEventLoop { return try stream.value.enqueueReplacingNewest(framed) }
        return try await withTaskExecutorPreference(loop) { try stream.value.enqueueReplacingNewest(framed) }
    }
}

/// A typed view of ``RawStreamWriter`` for a method whose responses are `Message`.
public struct StreamWriter<Message: ProtoMessage>: Sendable {
    public let raw: RawStreamWriter

    public init(_ raw: RawStreamWriter) { self.raw = raw }

    /// Sends `message`, waiting while the queue is full.
    public func send(_ message: Message) async throws {
        try await raw.sendFramed(GRPCFraming.frame(message))
    }

    /// Sends `message` without waiting, replacing the newest queued one when the queue is full.
    @discardableResult
    public func sendLatest(_ message: Message) async throws -> Bool {
        try await raw.sendFramedLatest(GRPCFraming.frame(message))
    }
}
