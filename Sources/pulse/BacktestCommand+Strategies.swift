import ArgumentParser
import PulseAnalytics

/// Turns a named strategy and parameter values into signals, with each indicator series computed once and
/// shared by every parameter set of an optimisation.
struct StrategyFactory: Sendable {
    private let make: @Sendable ([String: Double]) throws -> StrategySignals

    init(name: String, bars: BarSeries, fixed: [String: Double], optimized: [String: [Double]]) throws {
        switch name {
        case "sma-cross":
            let known: Set<String> = ["fast", "slow"]
            for key in Set(fixed.keys).union(optimized.keys) where !known.contains(key) {
                throw UsageError("sma-cross has parameters fast and slow, not \(key)")
            }
            var windows = Set<Int>([10, 20])
            for value in Array(fixed.values) + optimized.values.flatMap({ $0 }) {
                guard value >= 1, value == value.rounded(), value < 1e7 else {
                    throw UsageError("sma-cross windows must be whole numbers >= 1, got \(value)")
                }
                windows.insert(Int(value))
            }
            var averages: [Int: [Double]] = [:]
            for w in windows { averages[w] = SMACrossSignals.rollingMean(bars.close, window: w) }
            let shared = averages
            make = { p in
                let fast = Int(p["fast"] ?? 10)
                let slow = Int(p["slow"] ?? 20)
                return SMACrossSignals.make(fastAverage: shared[fast]!, slowAverage: shared[slow]!)
            }
        default:
            throw UsageError("--strategy \(name): unknown strategy; available: sma-cross")
        }
    }

    func signals(_ parameters: [String: Double]) throws -> StrategySignals { try make(parameters) }
}

extension TradeDirection: ExpressibleByArgument {}
