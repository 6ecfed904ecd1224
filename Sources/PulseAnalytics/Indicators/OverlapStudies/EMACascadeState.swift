/// Two or three chained EMAs streamed one value at a time — the common core of streaming DEMA, TEMA and TRIX.
/// Level n + 1 is fed level n's values from level n's first output on, as TA-Lib's EMA of an EMA is, so level n
/// produces its first value at index n·(period − 1).
struct EMACascadeState: Sendable, Codable {
    /// One level's lookback, `period − 1`.
    let lookback: Int
    /// Index of the value last fed (−1 before the first).
    private(set) var index = -1
    private let depth: Int
    private var first: EMAState
    private var second: EMAState
    private var third: EMAState

    init(period: Int, depth: Int) {
        precondition((2...3).contains(depth), "an EMA cascade has 2 or 3 levels")
        lookback = period - 1
        self.depth = depth
        first = EMAState(period: period)
        second = EMAState(period: period)
        third = EMAState(period: period)
    }

    /// Feeds `x` and returns the levels' values at this index; a level that has not started yet reads NaN.
    mutating func step(_ x: Double) -> (e1: Double, e2: Double, e3: Double) {
        index += 1
        let e1 = first.step(x)
        guard index >= lookback else { return (e1, .nan, .nan) }
        let e2 = second.step(e1)
        guard depth == 3, index >= 2 * lookback else { return (e1, e2, .nan) }
        return (e1, e2, third.step(e2))
    }
}
