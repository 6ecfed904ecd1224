/// The highest high and lowest low of the last N bars (N ≥ 1), as STOCH, STOCHF, WILLR and MIDPRICE read them
/// when streaming.
struct PriceRangeWindow: Codable, Sendable {
    private var extremes: SlidingExtremes

    init(period: Int) { extremes = SlidingExtremes(period: period) }

    /// Adds a bar; returns the window's highest high and lowest low once it holds N bars.
    @inline(__always)
    mutating func push(high: Double, low: Double) -> (highest: Double, lowest: Double)? {
        extremes.push(high: high, low: low)
        return extremes.isFull ? (extremes.highest, extremes.lowest) : nil
    }
}
