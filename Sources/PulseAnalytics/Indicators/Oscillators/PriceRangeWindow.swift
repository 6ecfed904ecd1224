/// The highest high and lowest low of the last N bars (N ≥ 1), as STOCH, STOCHF, WILLR and MIDPRICE read them.
struct PriceRangeWindow: Codable, Sendable {
    let period: Int
    private(set) var index = -1
    private var highest: WindowExtreme
    private var lowest: WindowExtreme

    init(period: Int) {
        self.period = period
        highest = WindowExtreme(window: period, isMax: true)
        lowest = WindowExtreme(window: period, isMax: false)
    }

    /// Adds a bar; returns the window's highest high and lowest low once it holds N bars.
    @inline(__always)
    mutating func push(high: Double, low: Double) -> (highest: Double, lowest: Double)? {
        index += 1
        highest.push(index, high)
        lowest.push(index, low)
        return index >= period - 1 ? (highest.extreme, lowest.extreme) : nil
    }
}
