import PulseIO
import PulseProtocol

/// Counts finished calls by status, per loop (no atomics, no locks): what ``RPCServer/statistics()``
/// reports. Every server installs one first; it only uses the finish hook.
struct CallStatisticsInterceptor: ServerInterceptor {
    let counters: LoopLocal<CallStatistics>

    init(group: EventLoopGroup) {
        counters = LoopLocal(group: group) { _ in CallStatistics() }
    }

    var hooks: ServerInterceptorHooks { .finish }

    func didFinish(_ call: ServerCallSummary, trailers: inout Metadata) {
        let code = call.status.code.rawValue
        counters[call.loop].byStatus[(0...16).contains(code) ? code : 2] += 1
    }

    /// Every loop's counts, summed (each read on its own loop).
    func total() async -> CallStatistics {
        var total = CallStatistics()
        for part in await counters.collect({ $0 }) { total.add(part) }
        return total
    }
}
