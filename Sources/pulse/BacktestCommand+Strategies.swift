import ArgumentParser
import PulseAnalytics

/// `StrategyFactory` (PulseAnalytics, shared with the RPC service) with its errors as usage errors: a bad strategy,
/// parameter or expression exits with status 2.
extension StrategyFactory {
    static func checked(
        name: String, expressions: [String?], orders: OrderExpressions, bars: BarSeries, fixed: [String: Double],
        optimized: [String: [Double]]
    ) throws -> StrategyFactory {
        do {
            return try StrategyFactory(
                name: name, expressions: expressions, orders: orders, bars: bars, fixed: fixed, optimized: optimized)
        } catch {
            throw UsageError("\(error)")
        }
    }

    func checkedSignals(_ parameters: [String: Double]) throws -> StrategySignals {
        do { return try signals(parameters) } catch { throw UsageError("\(error)") }
    }
}

extension TradeDirection: ExpressibleByArgument {}
