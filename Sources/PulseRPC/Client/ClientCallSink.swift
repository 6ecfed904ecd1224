import PulseProtocol

/// Where a call's responses go. The connection calls both methods on its loop thread.
protocol ClientCallSink: AnyObject, Sendable {
    /// Takes complete response messages (possibly none); returns false when the reader is behind, so
    /// the connection stops returning flow-control credit until the reader catches up.
    func deliver(_ messages: [[UInt8]]) -> Bool
    /// The call is over. Called exactly once.
    func finish(_ status: GRPCStatus)
}
