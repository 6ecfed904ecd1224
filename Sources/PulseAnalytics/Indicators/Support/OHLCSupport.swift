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

extension OHLC {
    /// Two aligned outputs (NaN in `0..<begin`) written together by `body`, which runs only when `begin < count`
    /// and must write both at every index from `begin` on.
    @inline(__always)
    static func output2(
        count: Int, begin: Int, _ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    ) -> ([Double], [Double]) {
        guard begin < count else { return (AlignedOutput.empty(count), AlignedOutput.empty(count)) }
        var second: [Double] = []
        let first = AlignedOutput.make(count: count, begin: begin) { out0 in
            second = AlignedOutput.make(count: count, begin: begin) { out1 in body(out0, out1) }
        }
        return (first, second)
    }
}

/// Runs `body` with base pointers of two, three or four equally long columns.
@inline(__always)
func withBases<R>(
    _ a: [Double], _ b: [Double], _ body: (UnsafePointer<Double>, UnsafePointer<Double>) -> R
) -> R {
    withBase(a) { pa in withBase(b) { pb in body(pa, pb) } }
}

@inline(__always)
func withBases<R>(
    _ a: [Double], _ b: [Double], _ c: [Double],
    _ body: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>) -> R
) -> R {
    withBase(a) { pa in withBase(b) { pb in withBase(c) { pc in body(pa, pb, pc) } } }
}

@inline(__always)
func withBases<R>(
    _ a: [Double], _ b: [Double], _ c: [Double], _ d: [Double],
    _ body: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>) -> R
) -> R {
    withBase(a) { pa in withBase(b) { pb in withBase(c) { pc in withBase(d) { pd in body(pa, pb, pc, pd) } } } }
}
