/// Helpers shared by the OHLC(V) indicator families: output allocation, parameter checks and TA-Lib's
/// near-zero tests.
enum OHLC {
    /// An output of `count` values, NaN except where `body` writes (one allocation; the body runs only when
    /// `count > 0`).
    @inline(__always)
    static func output(_ count: Int, _ body: (UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress, count > 0 else { return }
            base.initialize(repeating: .nan, count: count)
            body(base)
            initialized = count
        }
    }

    /// TA-Lib's `TA_IS_ZERO`: |v| < 1e-8.
    @inline(__always)
    static func isZero(_ v: Double) -> Bool { -0.000_000_01 < v && v < 0.000_000_01 }

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

    /// Throws unless `value` is in `range`, naming the function, the parameter and the valid range.
    static func check(
        _ value: Int, _ name: String, in range: ClosedRange<Int>, function: String
    ) throws(IndicatorError) {
        guard range.contains(value) else {
            throw IndicatorError(
                "\(function): parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound); "
                    + "got \(value)")
        }
    }

    /// Throws unless every input column has the length of the first.
    static func checkLengths(_ counts: [Int], function: String) throws(IndicatorError) {
        guard let first = counts.first, counts.allSatisfy({ $0 == first }) else {
            throw IndicatorError("\(function): input columns have different lengths \(counts)")
        }
    }
}
