import PulseAnalytics
import PulseProtocol
import PulseRPC

/// `pulse.v1.Backtests`: backtests and optimisations over bars given inline (or stored), computed on the compute
/// pool exactly as `pulse backtest` computes them (``BacktestPlan``).
///
/// Run answers one result. RunStream sends about ten `progress` events and then exactly one `result`, last;
/// Optimize sends one `OptimizeResult` per parameter set in completion order with `completed`/`total`. Both wait
/// for the client (the stream's bounded queue): an optimisation computes at most ``optimizeWorkers`` sets ahead
/// of what the client has read, and cancelling the call stops it within one parameter set.
public struct BacktestsService: RPCService {
    /// The most parameter sets one Optimize call may run (RESOURCE_EXHAUSTED beyond).
    public static let maxOptimizeRuns = 100_000

    public var serviceName: String { PulseMethods.Backtests.service }
    let stored: StoredBars
    /// Parameter sets of one Optimize call computed at the same time.
    public let optimizeWorkers: Int

    /// - Parameters:
    ///   - source: stored bars for requests that name symbols; nil answers them UNAVAILABLE.
    ///   - optimizeWorkers: parameter sets of one optimisation in flight at once (one per compute thread).
    public init(source: (any BarSource)? = nil, optimizeWorkers: Int = 2) {
        stored = StoredBars(source: source)
        self.optimizeWorkers = max(1, optimizeWorkers)
    }

    public var methods: [RPCMethodDefinition] {
        let stored = self.stored
        let workers = optimizeWorkers
        return [
            .unary(PulseMethods.Backtests.run) { request, context in
                try RequestLimits.check(request)
                let plan = try await Self.plan(request, stored: stored, context: context)
                return try await ComputeJob.run(on: context.computePool) { isCancelled in
                    try plan.execute(control: BacktestControl(isCancelled: isCancelled))
                }
            },
            .serverStreaming(PulseMethods.Backtests.runStream) { request, writer, context in
                try RequestLimits.check(request)
                return try await Self.runStream(request, writer: writer, stored: stored, context: context)
            },
            .serverStreaming(PulseMethods.Backtests.optimize) { request, writer, context in
                try RequestLimits.check(request)
                return try await Self.optimize(
                    request, writer: writer, stored: stored, workers: workers, context: context)
            },
        ]
    }

    static func plan(
        _ request: PulseV1.BacktestRequest, stored: StoredBars, context: ServerContext,
        optimized: [String: [Double]] = [:]
    ) async throws -> BacktestPlan {
        let series = try await BacktestPlan.series(request, stored: stored, context: context)
        return try await ComputeJob.run(on: context.computePool) { _ in
            try BacktestPlan(request, series: series, optimized: optimized)
        }
    }

    static func runStream(
        _ request: PulseV1.BacktestRequest, writer: StreamWriter<PulseV1.BacktestEvent>, stored: StoredBars,
        context: ServerContext
    ) async throws {
        let plan = try await Self.plan(request, stored: stored, context: context)
        let total = UInt64(plan.barCount)
        // At most ~11 progress values (every tenth of the bars, then 1), so this buffer stays small.
        let (progress, continuation) = AsyncStream<Double>.makeStream()
        let control = BacktestControl(
            checkInterval: max(1, plan.barCount / 10), isCancelled: { false },
            progress: { continuation.yield($0) })
        let pool = context.computePool
        @Sendable func compute() async throws -> PulseV1.BacktestResult {
            defer { continuation.finish() }
            return try await ComputeJob.run(on: pool) { isCancelled in
                var checked = control
                checked.isCancelled = isCancelled
                return try plan.execute(control: checked)
            }
        }
        async let outcome = compute()
        for await fraction in progress {
            let done = UInt64((fraction * Double(total)).rounded())
            try await writer.send(
                PulseV1.BacktestEvent(.progress(PulseV1.BacktestProgress(barsDone: done, barsTotal: total))))
        }
        try await writer.send(PulseV1.BacktestEvent(.result(try await outcome)))
    }
}
