/// A stepper that ignores its first `skip` inputs (returning NaN), then runs `inner` on the rest: TA-Lib's
/// behaviour when a function is asked to start later than its own lookback (MACD's fast EMA, MACDEXT's MAs),
/// since TA-Lib then starts the computation itself later.
struct Delayed<Inner: ValueStepper>: ValueStepper {
    private var remaining: Int
    private var inner: Inner

    init(_ inner: Inner, skip: Int) {
        self.inner = inner
        remaining = max(skip, 0)
    }

    mutating func step(_ x: Double) -> Double {
        if remaining > 0 {
            remaining -= 1
            return .nan
        }
        return inner.step(x)
    }
}
