/// What the statistics need from the bars alone, computed once per series and shared by every run over it
/// (an optimisation grid): the calendar, where each resampling period ends, and the market's log returns.
public struct StatisticsContext: Sendable {
    let calendar: DataCalendar?
    /// Index of the last bar of each calendar period (day, week, month or year), in order.
    let periodEnds: [Int]
    /// `log(close[i] / close[i − 1])` for i ≥ 1 (index i − 1), with their sum and sum of squares.
    let marketReturns: [Double]
    let marketSum: Double
    let marketSquares: Double

    /// - Parameter sharedByRuns: store the market's log returns for reuse (worth it for a grid; a single run
    ///   computes them fused with the equity's instead).
    public init(bars: BarSeries, sharedByRuns: Bool = true) {
        if let times = bars.timestamps, !times.isEmpty {
            let calendar = DataCalendar(timestamps: times)
            self.calendar = calendar
            periodEnds = calendar.periodEnds(times)
        } else {
            calendar = nil
            periodEnds = []
        }
        let c = bars.close
        var returns = [Double](repeating: 0, count: sharedByRuns ? max(0, c.count - 1) : 0)
        var sum = 0.0
        var squares = 0.0
        for i in returns.indices {
            let y = logRatio(c[i + 1], c[i])
            returns[i] = y
            sum += y
            squares += y * y
        }
        marketReturns = returns
        marketSum = sum
        marketSquares = squares
    }

    /// Simple returns of the equity between the ends of consecutive periods (backtesting.py's
    /// `resample(freq).last().dropna().pct_change().dropna()`).
    func periodReturns(_ equity: [Double]) -> [Double] {
        guard periodEnds.count > 1 else { return [] }
        var returns: [Double] = []
        returns.reserveCapacity(periodEnds.count - 1)
        for k in 1..<periodEnds.count { returns.append(equity[periodEnds[k]] / equity[periodEnds[k - 1]] - 1) }
        return returns
    }

    /// cov(log returns of equity, market log returns) / var(market log returns), sample moments.
    func beta(_ equity: [Double], close: [Double]) -> Double {
        let n = equity.count
        guard n > 2 else { return .nan }
        guard marketReturns.count == n - 1 else { return Self.beta(equity, close) }
        return equity.withUnsafeBufferPointer { e in
            marketReturns.withUnsafeBufferPointer { y in
                var sx = 0.0
                var sxy = 0.0
                for i in 1..<n {
                    let x = logRatio(e[i], e[i - 1])
                    sx += x
                    sxy += x * y[i - 1]
                }
                let count = Double(n - 1)
                return (sxy - sx * marketSum / count) / (marketSquares - marketSum * marketSum / count)
            }
        }
    }

    /// The same without stored market returns: both series' log returns in one pass.
    static func beta(_ equity: [Double], _ close: [Double]) -> Double {
        let n = equity.count
        return equity.withUnsafeBufferPointer { e in
            close.withUnsafeBufferPointer { c in
                var sx = 0.0
                var sy = 0.0
                var sxy = 0.0
                var syy = 0.0
                for i in 1..<n {
                    let x = logRatio(e[i], e[i - 1])
                    let y = logRatio(c[i], c[i - 1])
                    sx += x
                    sy += y
                    sxy += x * y
                    syy += y * y
                }
                let count = Double(n - 1)
                return (sxy - sx * sy / count) / (syy - sy * sy / count)
            }
        }
    }
}
