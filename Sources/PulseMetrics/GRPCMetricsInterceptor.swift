import Prometheus
import PulseIO
import PulseProtocol
import PulseRPC

/// `grpc_server_*` metrics with grpc-ecosystem's names and labels, as an interceptor (install it first, so calls
/// other interceptors reject are counted too).
///
/// Each loop keeps its own table from method to handles, so a call costs a short scan on its loop and a few
/// relaxed atomic adds; the registry (and its lock) is touched only the first time a method or
/// a status code is seen on a loop. Unknown paths share one `unknown` label set, so a scanner cannot grow the
/// label space.
public struct GRPCMetricsInterceptor: ServerInterceptor {
    private let tables: LoopLocal<MethodTable>
    private let metrics: ServerMetrics

    public init(metrics: ServerMetrics, group: EventLoopGroup) {
        self.metrics = metrics
        tables = LoopLocal(group: group) { _ in MethodTable() }
    }

    public var hooks: ServerInterceptorHooks { [.start, .finish, .timing] }

    public func willStart(_ context: ServerContext) async throws {
        let handles = handles(for: context.method, loop: context.loop)
        handles.started.increment()
        // Every method of the protocol takes exactly one request message.
        handles.received.increment()
    }

    public func didFinish(_ call: ServerCallSummary, trailers: inout Metadata) {
        let handles = handles(for: call.method, loop: call.loop)
        handles.handled(call.status.code.rawValue, metrics).increment()
        handles.seconds.record(call.duration)
        if call.responseMessages > 0 { handles.sent.increment(by: Int64(call.responseMessages)) }
    }

    private func handles(for method: GRPCMethod?, loop: EventLoop) -> MethodHandles {
        let table = tables[loop]
        // A linear scan: a server has a few dozen methods, and the router hands every call the same GRPCMethod
        // value, whose strings compare by identity first — cheaper than hashing (or building) the `:path`.
        for entry in table.entries where entry.method == method { return entry.handles }
        let made = MethodHandles(method: method, metrics: metrics)
        table.entries.append((method, made))
        return made
    }
}

/// One loop's method handles (nil: unknown methods).
final class MethodTable {
    var entries: [(method: GRPCMethod?, handles: MethodHandles)] = []
}

/// The counters and histogram of one method (shared by every loop: the registry returns the same instances).
final class MethodHandles: @unchecked Sendable {
    // @unchecked: `byCode` is filled lazily, but each instance is reachable from one loop's table only.
    let labels: [(String, String)]
    let started: Counter
    let received: Counter
    let sent: Counter
    let seconds: DurationHistogram
    private var byCode: [Counter?] = Array(repeating: nil, count: 17)

    init(method: GRPCMethod?, metrics: ServerMetrics) {
        let type: String
        switch method?.kind {
        case .unary, nil: type = "unary"
        case .serverStreaming: type = "server_stream"
        }
        labels = [
            ("grpc_type", type), ("grpc_service", method?.service ?? "unknown"),
            ("grpc_method", method?.name ?? "unknown"),
        ]
        started = metrics.counter("grpc_server_started_total", labels)
        received = metrics.counter("grpc_server_msg_received_total", labels)
        sent = metrics.counter("grpc_server_msg_sent_total", labels)
        seconds = metrics.durationHistogram("grpc_server_handling_seconds", labels)
    }

    func handled(_ code: Int, _ metrics: ServerMetrics) -> Counter {
        let index = (0...16).contains(code) ? code : 2
        if let counter = byCode[index] { return counter }
        let counter = metrics.counter("grpc_server_handled_total", labels + [("grpc_code", Self.codeNames[index])])
        byCode[index] = counter
        return counter
    }

    /// The canonical names gRPC's Prometheus exporters use for `grpc_code`.
    static let codeNames = [
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
        "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
        "Internal", "Unavailable", "DataLoss", "Unauthenticated",
    ]
}
