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
        var dd = [Double](repeating: 0, count: n)
        var peak = -Double.infinity
        var maximum = 0.0
        for i in 0..<n {
            peak = max(peak, equity[i])
            dd[i] = 1 - equity[i] / peak
            if dd[i] > maximum { maximum = dd[i] }
        }
        self.maximum = maximum

        func position(_ i: Int) -> Double { timestamps.map { Double($0[i]) } ?? Double(i) }
        var previous = -1
        var peaks = 0.0
        var periods = 0
        var longest = -Double.infinity
        var total = 0.0
        for i in 0..<n where dd[i] == 0 || i == n - 1 {
            if previous >= 0 && i > previous + 1 {
                var deepest = -Double.infinity
                for k in previous...i { deepest = max(deepest, dd[k]) }
                let length = position(i) - position(previous)
                peaks += deepest
                periods += 1
                longest = max(longest, length)
                total += length
            }
            previous = i
        }
        if periods > 0 {
            averagePeak = peaks / Double(periods)
            maxDuration = longest
            averageDuration = total / Double(periods)
        } else {
            // backtesting.py then averages the non-zero drawdowns themselves.
            let underwater = dd.filter { $0 != 0 && !$0.isNaN }
            averagePeak = underwater.isEmpty ? .nan : underwater.reduce(0, +) / Double(underwater.count)
            maxDuration = nil
            averageDuration = nil
        }
    }
}
