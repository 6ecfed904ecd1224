/// Grid and random search over strategy parameters, ranked by one statistic, spread over worker tasks.
///
/// ```swift
/// var space = ParameterSpace()
/// try space.add(range: "fast=5:30:5")
/// try space.add(range: "slow=20:80:10")
/// let evaluator = try Strategy.compile(named: "sma-cross").evaluator(for: bars)
/// let outcome = try await Optimizer.run(
///     bars: bars, space: space, maximize: "Sharpe Ratio", configuration: config,
///     makeSignals: { params in try evaluator.signals(parameters: params) },
///     onResult: { run in print(run.parameters, run.score ?? .nan) })
/// ```
public enum Optimizer {
    /// Which combinations to try.
    public enum Method: Sendable, Equatable {
        /// Every combination.
        case grid
        /// `tries` distinct combinations drawn with a seeded generator (all of them if fewer exist).
        case random(tries: Int, seed: UInt64)
    }

    /// One evaluated parameter set.
    public struct Run: Sendable {
        /// Position of the combination in the grid (`ParameterSpace.combination`).
        public var index: Int
        public var parameters: [String: Double]
        public var statistics: BacktestStatistics
        /// The ranking statistic; nil when undefined (never best).
        public var score: Double?
    }

    /// Every run in grid order, and the best (highest score; the first in grid order on ties, as pandas'
    /// `idxmax`), whose full result is recomputed.
    public struct Outcome: Sendable {
        public var runs: [Run]
        public var best: Run?
        public var bestResult: BacktestResult?
    }

    /// Runs the search.
    /// - Parameters:
    ///   - maximize: an exact statistic name (see `BacktestStatistics.names`).
    ///   - constraint: combinations for which it returns false are skipped.
    ///   - workers: concurrent tasks (one per core is right).
    ///   - makeSignals: builds a parameter set's signals; it should share indicator series across calls.
    ///   - onResult: called as each parameter set finishes (from worker tasks, in completion order).
    ///   - control: cancellation is checked between runs and inside each run.
    public static func run(
        bars: BarSeries, space: ParameterSpace, method: Method = .grid, maximize: String,
        constraint: (@Sendable ([String: Double]) -> Bool)? = nil, configuration: BacktestConfiguration,
        workers: Int = 2, control: BacktestControl = .none,
        makeSignals: @escaping @Sendable ([String: Double]) throws -> StrategySignals,
        onResult: (@Sendable (Run) -> Void)? = nil
    ) async throws -> Outcome {
        guard BacktestStatistics.names.contains(maximize) else {
            throw BacktestError(.invalidInput, "unknown statistic to maximize: \(maximize)")
        }
        try configuration.validate()
        let chosen = try Self.choose(space: space, method: method, constraint: constraint)
        let workerCount = max(1, min(workers, chosen.count))
        let context = StatisticsContext(bars: bars)
        let runs = try await withThrowingTaskGroup(of: [Run].self) { group in
            for w in 0..<workerCount {
                group.addTask {
                    var mine: [Run] = []
                    var k = w
                    while k < chosen.count {
                        if control.isCancelled() { throw BacktestError(.cancelled, "the optimisation was cancelled") }
                        let (run, _) = try evaluate(
                            index: chosen[k], space: space, bars: bars, maximize: maximize,
                            configuration: configuration, control: control, context: context,
                            makeSignals: makeSignals)
                        onResult?(run)
                        mine.append(run)
                        k += workerCount
                    }
                    return mine
                }
            }
            var all: [Run] = []
            for try await part in group { all += part }
            return all.sorted { $0.index < $1.index }
        }
        var best: Run?
        for run in runs {
            guard let score = run.score else { continue }
            if best == nil || score > best!.score! { best = run }
        }
        var bestResult: BacktestResult?
        if let best {
            bestResult = try BacktestEngine.run(
                bars: bars, signals: try makeSignals(best.parameters), configuration: configuration, control: control)
        }
        return Outcome(runs: runs, best: best, bestResult: bestResult)
    }
}

extension Optimizer {
    /// Largest grid searched exhaustively, and most random tries.
    public static let maximumRuns = 1_000_000

    /// Backtests the `index`-th combination of `space`: the ranked run and its full result. The unit of work
    /// of `run`, for callers that schedule the parameter sets themselves (the RPC service streams each as it
    /// finishes).
    /// - Parameter context: the bars' `StatisticsContext`, shared by every run over them.
    public static func evaluate(
        index: Int, space: ParameterSpace, bars: BarSeries, maximize: String, configuration: BacktestConfiguration,
        control: BacktestControl = .none, context: StatisticsContext,
        makeSignals: ([String: Double]) throws -> StrategySignals
    ) throws -> (run: Run, result: BacktestResult) {
        let parameters = space.combination(index)
        let result = try BacktestEngine.run(
            bars: bars, signals: try makeSignals(parameters), configuration: configuration, control: control,
            context: context)
        let run = Run(
            index: index, parameters: parameters, statistics: result.statistics,
            score: result.statistics.value(named: maximize).number)
        return (run, result)
    }

    /// The grid positions to evaluate, in grid order: every combination the constraint allows (`.grid`, at most
    /// `maximumRuns`), or a seeded random choice of them.
    /// - Throws: `BacktestError` for a grid too large to search exhaustively or a bad number of tries.
    public static func choose(
        space: ParameterSpace, method: Method, constraint: (@Sendable ([String: Double]) -> Bool)?
    ) throws(BacktestError) -> [Int] {
        let total = space.count
        switch method {
        case .grid:
            guard total <= maximumRuns else {
                throw BacktestError(
                    .invalidInput,
                    "the grid has \(total == .max ? "too many" : String(total)) parameter sets; at most "
                        + "\(maximumRuns) are searched exhaustively (use random search)")
            }
            let all = Array(0..<total)
            return constraint.map { c in all.filter { c(space.combination($0)) } } ?? all
        case .random(let tries, let seed):
            guard tries >= 1, tries <= maximumRuns else {
                throw BacktestError(.invalidInput, "random search tries must be in 1...\(maximumRuns), got \(tries)")
            }
            var generator = SplitMix64(seed: seed)
            if total <= 4 * tries {
                // Small grid: shuffle its (allowed) points and keep the first `tries`.
                var all = Array(0..<total)
                if let constraint { all = all.filter { constraint(space.combination($0)) } }
                all.shuffle(using: &generator)
                return Array(all.prefix(tries)).sorted()
            }
            // Large grid: draw distinct points; give up on a constraint that rejects nearly everything.
            var picked = Set<Int>()
            var draws = 0
            while picked.count < tries && draws < 20 * tries {
                draws += 1
                let index = Int.random(in: 0..<total, using: &generator)
                if picked.contains(index) { continue }
                if let constraint, !constraint(space.combination(index)) { continue }
                picked.insert(index)
            }
            return picked.sorted()
        }
    }
}

/// A small seeded generator so random search is reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
