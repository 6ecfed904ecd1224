import PulseProtocol
import PulseRPC

/// `pulse.v1.Diagnostics`: an echo and a synthetic stream, for transport tests and benchmarks.
///
/// Echo returns the payload, after `delay_ms` when set, failing with `fail_code`/`fail_message`
/// when set, and running on the compute pool when `use_compute_pool` is true. Stream sends `count`
/// items of `payload_size` bytes, `interval_ms` apart, waiting whenever the client reads slowly.
public struct DiagnosticsService: RPCService {
    /// Upper bounds that keep a request from asking the server for unbounded work.
    public static let maxDelayMilliseconds: UInt32 = 600_000
    public static let maxPayloadSize: UInt32 = 4 * 1024 * 1024 - 64

    public var serviceName: String { PulseMethods.Diagnostics.service }

    public init() {}

    public var methods: [RPCMethodDefinition] {
        [
            .unary(PulseMethods.Diagnostics.echo) { request, context in
                try await Self.echo(request, context)
            },
            .serverStreaming(PulseMethods.Diagnostics.stream) { request, writer, context in
                try await Self.stream(request, writer, context)
            },
        ]
    }

    static func echo(_ request: EchoRequest, _ context: ServerContext) async throws -> EchoResponse {
        if request.delayMs > 0 {
            let delay = min(request.delayMs, maxDelayMilliseconds)
            try await context.loop.sleep(nanoseconds: UInt64(delay) * 1_000_000)
        }
        if request.failCode != 0 {
            let code = GRPCStatus.Code(rawValue: Int(request.failCode)) ?? .unknown
            throw GRPCStatus(code, request.failMessage)
        }
        if request.useComputePool {
            let payload = request.payload
            let (echoed, onLoop) = try await context.computePool.run { (payload, context.loop.inEventLoop) }
            assert(!onLoop, "compute pool work ran on the event loop")
            return EchoResponse(payload: echoed)
        }
        return EchoResponse(payload: request.payload)
    }

    static func stream(
        _ request: StreamRequest, _ writer: StreamWriter<StreamItem>, _ context: ServerContext
    ) async throws {
        guard request.payloadSize <= maxPayloadSize else {
            throw GRPCStatus(.invalidArgument, "payload_size \(request.payloadSize) exceeds \(maxPayloadSize)")
        }
        let payload = (0..<Int(request.payloadSize)).map { UInt8(truncatingIfNeeded: $0) }
        let interval = UInt64(min(request.intervalMs, maxDelayMilliseconds)) * 1_000_000
        for index in 0..<UInt64(request.count) {
            if index > 0 && interval > 0 { try await context.loop.sleep(nanoseconds: interval) }
            try await writer.send(StreamItem(index: index, payload: payload))
        }
    }
}
