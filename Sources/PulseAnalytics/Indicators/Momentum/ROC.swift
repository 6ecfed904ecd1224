extension TA {
    /// Rate of change, TA-Lib's `ROC`: ((x / x[i − period]) − 1)·100, 0 when the old value is 0
    /// (lookback `period`).
    public static func roc(_ x: [Double], period: Int = 10) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "ROC")
        let count = x.count
        return AlignedOutput.make(count: count, begin: period) { out in
            withBase(x) { x in
                for i in period..<count { out[i] = rateOfChange(x[i], x[i - period]) }
            }
        }
    }

    /// Rate of change as a fraction, TA-Lib's `ROCP`: (x − x[i − period]) / x[i − period], 0 when the old value
    /// is 0 (lookback `period`).
    public static func rocp(_ x: [Double], period: Int = 10) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "ROCP")
        let count = x.count
        return AlignedOutput.make(count: count, begin: period) { out in
            withBase(x) { x in
                for i in period..<count { out[i] = rateOfChangePercentage(x[i], x[i - period]) }
            }
        }
    }

    @inline(__always)
    static func rateOfChange(_ x: Double, _ previous: Double) -> Double {
        previous == 0 ? 0 : ((x / previous) - 1.0) * 100.0
    }

    @inline(__always)
    static func rateOfChangePercentage(_ x: Double, _ previous: Double) -> Double {
        previous == 0 ? 0 : (x - previous) / previous
    }
}
