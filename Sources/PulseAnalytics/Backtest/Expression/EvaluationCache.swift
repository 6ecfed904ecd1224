import Synchronization

/// Results of expensive steps (indicators, higher-timeframe mappings, resampled bars) for one bar series,
/// shared by every evaluation of a strategy over it, from any thread. A step is identified by what it computes
/// once parameters are substituted — `sma(close, fast)` with fast = 20 and `sma(close, slow)` with slow = 20
/// are the same entry — so an optimiser's grid computes each distinct indicator once.
///
/// Memory is bounded: when the stored values exceed `budget` doubles, or the identities `identityLimit`
/// entries, that table starts afresh.
final class EvaluationCache: Sendable {
    /// What a step computes: its operation, its operands' identities or values, and its timeframe.
    struct StepKey: Hashable {
        enum Operand: Hashable {
            case step(Int)
            case number(UInt64)
        }
        var operation: Instruction.Operation
        var operands: [Operand]
        var timeframe: Timeframe?
    }

    private struct State {
        var identities: [StepKey: Int] = [:]
        /// Never reused, even after a reset: an evaluation holding an old identity must not read another
        /// step's value.
        var nextIdentity = 0
        var values: [Int: RuntimeValue] = [:]
        var footprint = 0
        var frames: [Timeframe: TimeframeBars] = [:]
    }

    private let state = Mutex(State())
    let budget: Int
    /// Distinct steps remembered before the identity table starts afresh (a long random search).
    let identityLimit: Int

    init(budget: Int = 16_000_000, identityLimit: Int = 100_000) {
        self.budget = budget
        self.identityLimit = identityLimit
    }

    /// A small integer naming the step, stable for the cache's lifetime.
    func identity(of key: StepKey) -> Int {
        state.withLock { state in
            if let id = state.identities[key] { return id }
            if state.identities.count >= identityLimit { state.identities.removeAll(keepingCapacity: true) }
            let id = state.nextIdentity
            state.nextIdentity += 1
            state.identities[key] = id
            return id
        }
    }

    func value(for identity: Int) -> RuntimeValue? { state.withLock { $0.values[identity] } }

    func store(_ value: RuntimeValue, for identity: Int) {
        state.withLock { state in
            if state.footprint + value.footprint > budget {
                state.values.removeAll(keepingCapacity: true)
                state.footprint = 0
            }
            state.values[identity] = value
            state.footprint += value.footprint
        }
    }

    /// The base bars resampled to `timeframe` with the base→higher mapping, computed once.
    func frame(
        _ timeframe: Timeframe, _ make: () throws(ExpressionError) -> TimeframeBars
    ) throws(ExpressionError) -> TimeframeBars {
        if let frame = state.withLock({ $0.frames[timeframe] }) { return frame }
        let frame = try make()
        state.withLock { $0.frames[timeframe] = frame }
        return frame
    }
}
