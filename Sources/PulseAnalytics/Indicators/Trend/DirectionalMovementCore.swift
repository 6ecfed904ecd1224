/// Wilder's directional movement, the recurrence behind PLUS_DM, MINUS_DM, PLUS_DI, MINUS_DI, ADX and ADXR,
/// as TA-Lib computes it: for each bar from the second, up = high − previous high, down = previous low − low;
/// −DM counts `down` when down > 0 and up < down, +DM counts `up` when up > 0 and up > down. The sums of +DM, −DM
/// and the true range over bars 1…N−1 seed Wilder's smoothing `S = S − S/N + x` from bar N on.
struct DirectionalMovementCore: Codable, Sendable {
    let period: Int
    /// Bars seen so far.
    private(set) var count = 0
    private var prevHigh = 0.0
    private var prevLow = 0.0
    private var prevClose = 0.0
    /// Smoothed (or, before bar N, summed) +DM, −DM and true range.
    private(set) var plusDM = 0.0
    private(set) var minusDM = 0.0
    private(set) var trueRange = 0.0
    /// This bar's raw +DM, −DM and true range (used with period 1).
    private(set) var rawPlus = 0.0
    private(set) var rawMinus = 0.0
    private(set) var rawRange = 0.0

    init(period: Int) { self.period = period }

    /// The index of the bar just fed.
    var index: Int { count - 1 }

    @inline(__always)
    mutating func update(high: Double, low: Double, close: Double) {
        defer {
            prevHigh = high
            prevLow = low
            prevClose = close
            count += 1
        }
        guard count > 0 else { return }
        (rawPlus, rawMinus) = Self.movement(up: high - prevHigh, down: prevLow - low)
        rawRange = OHLC.trueRange(high: high, low: low, prevClose: prevClose)
        if count < period {
            plusDM += rawPlus
            minusDM += rawMinus
            trueRange += rawRange
        } else {
            let n = Double(period)
            plusDM = plusDM - plusDM / n + rawPlus
            minusDM = minusDM - minusDM / n + rawMinus
            trueRange = trueRange - trueRange / n + rawRange
        }
    }

    /// TA-Lib's raw +DM and −DM of one bar: −DM = down when down > 0 and up < down, else +DM = up when up > 0
    /// and up > down. Written as selects (no branches: the rules flip unpredictably from bar to bar).
    @inline(__always)
    static func movement(up: Double, down: Double) -> (plus: Double, minus: Double) {
        (max(up > down ? up : 0, 0), max(down > up ? down : 0, 0))
    }

    /// +DI and −DI from the smoothed values; nil unless the smoothed true range is positive (TA-Lib 0.8's exact test).
    @inline(__always)
    var directionalIndices: (plus: Double, minus: Double)? {
        guard trueRange > 0 else { return nil }
        return (100.0 * (plusDM / trueRange), 100.0 * (minusDM / trueRange))
    }
}
