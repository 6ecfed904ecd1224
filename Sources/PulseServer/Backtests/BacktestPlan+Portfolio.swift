import PulseAnalytics
import PulseProtocol

extension BacktestPlan {
    /// Several series sharing one cash balance, as `pulse backtest --input A=… --input B=…`: without `rebalance`
    /// every symbol trades the strategy (`--weights signals`, rebalancing on change); with it, fixed `weights`,
    /// a `weight_expression` (`--weights expr:…`) or, with neither, equal weights, rebalanced by `period`
    /// (unset: monthly).
    static func portfolio(
        _ request: PulseV1.BacktestRequest, series: [(symbol: String, bars: BarSeries)], strategy: StrategyInput
    ) throws(GRPCStatus) -> (Run, [String: Double]) {
        let unsupported = [
            ("trade_on_close", request.tradeOnClose), ("margin", request.margin != 0 && request.margin != 1),
            ("stop_loss", request.stopLoss != nil), ("take_profit", request.takeProfit != nil),
            ("trailing_stop", request.trailingStop != nil), ("sizing", request.sizing?.size != nil),
            ("finalize_trades", request.finalizeTrades), ("order_type", request.orderType != .market),
        ].filter(\.1).map(\.0)
        guard unsupported.isEmpty else {
            throw GRPCStatus(
                .invalidArgument,
                "\(unsupported.joined(separator: ", ")): not available for portfolios (several series or a "
                    + "rebalance); portfolios size by their weights and fill at each symbol's next open")
        }
        let single: BacktestConfiguration
        do {
            single = try BacktestConfiguration(
                cash: request.cash == 0 ? 10_000 : request.cash, commission: request.commission,
                fixedCommission: request.fixedCommission, slippage: request.slippage, fractional: request.fractional,
                strategy: strategy.name, expressions: strategy.expressions)
        } catch {
            throw GRPCStatus(.invalidArgument, error.message)
        }
        let assets = series.map { PortfolioAsset(symbol: $0.symbol, bars: $0.bars) }
        var parameters = strategy.fixed
        let rule: AllocationRule
        do {
            if let rebalance = request.rebalance {
                rule = try allocation(rebalance, assets: assets, fixed: strategy.fixed)
            } else {
                rule = .signals(
                    try assets.map { asset in
                        let factory = try StrategyFactory(
                            name: strategy.name, expressions: strategy.expressions, orders: OrderExpressions(),
                            bars: asset.bars, fixed: strategy.fixed, optimized: [:])
                        parameters = factory.parameters
                        return try factory.signals(strategy.fixed)
                    })
            }
        } catch let error as GRPCStatus {
            throw error
        } catch {
            throw ComputeJob.status(for: error) as? GRPCStatus ?? GRPCStatus(.invalidArgument, "\(error)")
        }
        let schedule: RebalanceSchedule
        switch request.rebalance?.period ?? .none {
        case .daily: schedule = .daily
        case .weekly: schedule = .weekly
        case .monthly: schedule = .monthly
        case .none:
            if case .signals = rule { schedule = .onChange } else { schedule = .monthly }
        default:
            throw GRPCStatus(
                .invalidArgument,
                "rebalance.period \(request.rebalance?.period.rawValue ?? 0): use NONE, DAILY, WEEKLY or MONTHLY")
        }
        let run = Run.portfolio(
            assets: assets, rule: rule, schedule: schedule, configuration: PortfolioConfiguration(single))
        return (run, parameters)
    }

    private static func allocation(
        _ rebalance: PulseV1.Rebalance, assets: [PortfolioAsset], fixed: [String: Double]
    ) throws -> AllocationRule {
        let expression = rebalance.weightExpression
        switch (rebalance.weights.isEmpty, expression.isEmpty) {
        case (true, true): return .equal
        case (false, false):
            throw GRPCStatus(.invalidArgument, "rebalance: give weights or a weight_expression, not both")
        case (true, false):
            return .scores(
                try assets.map { asset in
                    do {
                        return try StrategyFactory.series(expression, bars: asset.bars, parameters: fixed)
                    } catch {
                        throw GRPCStatus(.invalidArgument, "rebalance.weight_expression: \(error)")
                    }
                })
        case (false, true):
            var map: [String: Double] = [:]
            for item in rebalance.weights {
                guard item.weight.isFinite, assets.contains(where: { $0.symbol == item.symbol }),
                    map[item.symbol] == nil
                else {
                    throw GRPCStatus(
                        .invalidArgument,
                        "rebalance.weights: \(item.symbol)=\(item.weight): each weight finite, given once, for one of "
                            + assets.map(\.symbol).joined(separator: ", "))
                }
                map[item.symbol] = item.weight
            }
            guard map.values.reduce(0, { $0 + abs($1) }) <= 1 + 1e-9 else {
                throw GRPCStatus(.invalidArgument, "rebalance.weights: the absolute weights add up to more than 1")
            }
            return .fixed(map)
        }
    }
}
