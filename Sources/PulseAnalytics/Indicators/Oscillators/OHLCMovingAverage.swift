/// The moving average STOCH and STOCHF smooth with, fed one value at a time.
/// TEMPORARY: only SMA until the close-only framework lands; then this delegates to its MA states.
struct OHLCMovingAverage: Codable, Sendable {
    private let period: Int
    private var ring: [Double]
    private var position = 0
    private var seen = 0
    private var sum = 0.0

    init(_ type: MovingAverageType, period: Int, function: String) throws(IndicatorError) {
        guard type == .sma else {
            throw IndicatorError("\(function): moving-average type \(type.name) is not supported yet")
        }
        self.period = period
        ring = [Double](repeating: 0, count: period)
    }

    /// TA-Lib's running-sum SMA: add the new value, divide, then subtract the oldest.
    @inline(__always)
    mutating func next(_ x: Double) -> Double {
        seen += 1
        sum += x
        ring[position] = x
        position += 1
        if position == period { position = 0 }
        guard seen >= period else { return .nan }
        let out = sum / Double(period)
        // ring[position] is now the oldest value of the window.
        sum -= ring[position]
        return out
    }
}
