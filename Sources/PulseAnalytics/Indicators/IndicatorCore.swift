/// The types every indicator shares: one bar of input, the outputs of one update, the streaming contract.
///
/// Conventions (all indicators follow them):
/// - Batch functions live in `extension TA` as `static func name(...)` over contiguous `[Double]` inputs and
///   return outputs *aligned with the input*: the same length, NaN in the lookback positions (and everywhere
///   when the input is shorter than the lookback).
/// - Each function has a streaming state type conforming to `StreamingIndicator`; feeding it the bars one by
///   one yields exactly (bit for bit) the batch outputs at each index.
/// - Parameter problems throw `IndicatorError`.

/// Namespace for the batch functions, named after TA-Lib's (`TA.sma`, `TA.bbands`, …).
public enum TA {}

/// One bar as a streaming indicator sees it. Indicators that read only the close ignore the rest.
public struct BarInput: Sendable, Equatable {
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double
    /// Seconds since the Unix epoch (used by session-anchored indicators such as VWAP); 0 when unknown.
    public var timestamp: Int64

    public init(open: Double, high: Double, low: Double, close: Double, volume: Double = 0, timestamp: Int64 = 0) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.timestamp = timestamp
    }

    /// A bar carrying only a close (the other prices equal it), for close-only indicators.
    public init(close: Double) { self.init(open: close, high: close, low: close, close: close) }
}

/// The outputs of one streaming update, stored inline (no allocation): at most three values, in the order of
/// the function's TA-Lib output names. NaN during the lookback.
public struct IndicatorOutput: Sendable, Equatable {
    public private(set) var count: Int
    public var v0: Double
    public var v1: Double
    public var v2: Double

    public init(_ v0: Double) { (count, self.v0, v1, v2) = (1, v0, .nan, .nan) }
    public init(_ v0: Double, _ v1: Double) { (count, self.v0, self.v1, v2) = (2, v0, v1, .nan) }
    public init(_ v0: Double, _ v1: Double, _ v2: Double) { (count, self.v0, self.v1, self.v2) = (3, v0, v1, v2) }

    public subscript(index: Int) -> Double {
        precondition(index >= 0 && index < count, "output index \(index) out of range 0..<\(count)")
        switch index {
        case 0: return v0
        case 1: return v1
        default: return v2
        }
    }

    /// Bitwise equality, so NaN equals NaN: what "streaming equals batch" means.
    public static func == (a: IndicatorOutput, b: IndicatorOutput) -> Bool {
        a.count == b.count && a.v0.bitPattern == b.v0.bitPattern && a.v1.bitPattern == b.v1.bitPattern
            && a.v2.bitPattern == b.v2.bitPattern
    }
}

/// An indicator updated one bar at a time in O(1), whose state can be checkpointed (it is `Codable`) and
/// restored so a server can resume it.
public protocol StreamingIndicator: Sendable, Codable {
    /// Feeds the next bar and returns its outputs (NaN during the lookback).
    mutating func update(_ bar: BarInput) -> IndicatorOutput
}

/// A rejected indicator request: an unknown function or a parameter out of range. The message names the
/// valid choices.
public struct IndicatorError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
