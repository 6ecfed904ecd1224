/// Helpers shared by the OHLC(V) indicator families: true range and input checks.
enum OHLC {
    /// TA-Lib's `TRUE_RANGE`: the greatest of high − low, |prevClose − high| and |prevClose − low|.
    @inline(__always)
    static func trueRange(high: Double, low: Double, prevClose: Double) -> Double {
        var greatest = high - low
        let up = abs(prevClose - high)
        if up > greatest { greatest = up }
        let down = abs(prevClose - low)
        if down > greatest { greatest = down }
        return greatest
    }

    /// Throws unless every input column has the length of the first.
    static func checkLengths(_ counts: [Int], function: String) throws(IndicatorError) {
        guard let first = counts.first, counts.allSatisfy({ $0 == first }) else {
            throw IndicatorError("\(function): input columns have different lengths \(counts)")
        }
    }
}
