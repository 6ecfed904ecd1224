/// The moving average STOCH and STOCHF smooth %K and %D with, fed one value at a time.
/// SMA and EMA for now; the other TA-Lib types join as the close-only family provides their steppers.
enum OHLCMovingAverage: Codable, Sendable {
    case sma(SMAState)
    case ema(EMAState)

    /// The types accepted (TA-Lib codes).
    static let supportedCodes = 0...1

    init(_ type: MovingAverageType, period: Int, function: String) throws(IndicatorError) {
        switch type {
        case .sma: self = .sma(SMAState(period: period))
        case .ema: self = .ema(EMAState(period: period))
        default:
            throw IndicatorError(
                "\(function): moving-average type \(type.name) is not supported yet; use 0 (SMA) or 1 (EMA)")
        }
    }

    /// TA-Lib's lookback of the average: period − 1 for both supported types.
    static func lookback(_ type: MovingAverageType, period: Int) -> Int { period - 1 }

    @inline(__always)
    mutating func next(_ x: Double) -> Double {
        switch self {
        case .sma(var s):
            defer { self = .sma(s) }
            return s.step(x)
        case .ema(var s):
            defer { self = .ema(s) }
            return s.step(x)
        }
    }
}
