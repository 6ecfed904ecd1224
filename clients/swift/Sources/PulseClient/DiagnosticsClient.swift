import PulseProtocol

/// Typed calls of `pulse.v1.Diagnostics`, the service transport tests and benchmarks use.
public struct DiagnosticsClient: Sendable {
    let client: PulseClient

    /// Sends `request` and returns the echoed payload (after `delayMs`, or the failure it asks for).
    public func echo(_ request: EchoRequest, options: CallOptions = CallOptions()) async throws(RPCError)
        -> EchoResponse
    {
        try await client.unary(PulseMethods.Diagnostics.echo, request, options: options)
    }

    /// Echoes `payload`.
    public func echo(_ payload: [UInt8], options: CallOptions = CallOptions()) async throws(RPCError) -> [UInt8] {
        try await echo(EchoRequest(payload: payload), options: options).payload
    }

    /// Streams `count` items of `payloadSize` bytes, `intervalMs` apart.
    public func stream(
        count: UInt32, payloadSize: UInt32 = 0, intervalMs: UInt32 = 0, options: CallOptions = CallOptions()
    ) -> ResponseStream<StreamItem> {
        let request = StreamRequest(count: count, payloadSize: payloadSize, intervalMs: intervalMs)
        return client.serverStream(PulseMethods.Diagnostics.stream, request, options: options)
    }
}
