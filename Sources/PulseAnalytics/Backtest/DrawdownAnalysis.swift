/// Drawdowns of an equity curve as backtesting.py measures them (`compute_drawdown_duration_peaks`):
/// drawdown `dd = 1 − equity / running peak`; a drawdown period runs between two bars at a peak (dd = 0),
/// the last bar counting as an end even when still under water.
struct DrawdownAnalysis {
    /// Largest drawdown as a fraction (0 when none).
    var maximum: Double
    /// Mean of the periods' deepest drawdowns (NaN when none).
    var averagePeak: Double
    /// Longest and mean period, in seconds with timestamps, otherwise in bars; nil when there is no period.
    var maxDuration: Double?
    var averageDuration: Double?

    init(equity: [Double], timestamps: [Int64]?) {
        let n = equity.count
        func position(_ i: Int) -> Double { timestamps.map { Double($0[i]) } ?? Double(i) }
        var peak = -Double.infinity
        var maximum = 0.0
        var previous = -1  // last bar at a peak
        var deepest = 0.0  // deepest drawdown since `previous`
        var peaks = 0.0
        var periods = 0
        var longest = -Double.infinity
        var total = 0.0
        var underwaterSum = 0.0
        var underwaterCount = 0
        for i in 0..<n {
            peak = max(peak, equity[i])
            let dd = 1 - equity[i] / peak
            if dd > maximum { maximum = dd }
            if dd != 0 && !dd.isNaN {
                underwaterSum += dd
                underwaterCount += 1
            }
            deepest = max(deepest, dd)
            guard dd == 0 || i == n - 1 else { continue }
            if previous >= 0 && i > previous + 1 {
                let length = position(i) - position(previous)
                peaks += deepest
                periods += 1
                longest = max(longest, length)
                total += length
            }
            previous = i
            deepest = 0
        }
        self.maximum = maximum
        if periods > 0 {
            averagePeak = peaks / Double(periods)
            maxDuration = longest
            averageDuration = total / Double(periods)
        } else {
            // backtesting.py then averages the non-zero drawdowns themselves.
            averagePeak = underwaterCount == 0 ? .nan : underwaterSum / Double(underwaterCount)
            maxDuration = nil
            averageDuration = nil
        }
    }
}
