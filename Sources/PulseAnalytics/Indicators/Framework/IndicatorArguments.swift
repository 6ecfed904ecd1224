/// The validated parameter values of one indicator request, in the function's parameter order (omitted trailing
/// parameters filled with their defaults). Integers and type codes are stored exactly as doubles.
public struct IndicatorArguments: Sendable, Hashable, Codable {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    /// The integer parameter at `index`.
    public func int(_ index: Int) -> Int { Int(values[index]) }
    /// The real parameter at `index`.
    public func real(_ index: Int) -> Double { values[index] }
    /// The moving-average type parameter at `index`.
    public func maType(_ index: Int) -> MovingAverageType { MovingAverageType(rawValue: Int(values[index])) ?? .sma }
}

/// The price columns an indicator reads, in TA-Lib's input order.
public enum PriceField: String, Sendable, CaseIterable {
    case open, high, low, close, volume, timestamp
}
