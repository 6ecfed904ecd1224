import PulseAnalytics
import PulseIO
import PulseProtocol
import PulseRPC

/// A `BacktestRequest` mapped onto the engine exactly as `pulse backtest` maps its flags: the same strategy
/// (`StrategyFactory`), the same broker configuration (`BacktestConfiguration(cash:…)`), the same portfolio rules.
///
/// Zero means default (cash 0 → 10,000, margin 0 → 1); an unset strategy is `sma-cross` with its defaults, like
/// the CLI's `--strategy` default. One series (or symbol) is a single backtest; several, or a `rebalance`, a
/// portfolio.
struct BacktestPlan: Sendable {
    enum Run: Sendable {
        case single(symbol: String, bars: BarSeries, factory: StrategyFactory, configuration: BacktestConfiguration)
        case portfolio(
            assets: [PortfolioAsset], rule: AllocationRule, schedule: RebalanceSchedule,
            configuration: PortfolioConfiguration)
    }

    var run: Run
    /// Fixed strategy parameters (`Strategy.parameters`); an optimisation varies others on top.
    var fixed: [String: Double]
    /// The parameters a run uses when nothing is optimised: the strategy's defaults and `fixed`.
    var parameters: [String: Double]
    /// 0: every point of the equity curve.
    var maxEquityPoints: Int

    /// The bars of every series, in request order.
    var barCount: Int {
        switch run {
        case .single(_, let bars, _, _): return bars.count
        case .portfolio(let assets, _, _, _): return assets.map(\.bars.count).max() ?? 0
        }
    }

    /// Maps `request` over its `series` (``series(_:stored:context:)``).
    /// - Parameter optimized: the axes of an optimisation (their first values seed compilation).
    /// - Throws: `GRPCStatus` INVALID_ARGUMENT for a bad setting, strategy or expression.
    init(
        _ request: PulseV1.BacktestRequest, series: [(symbol: String, bars: BarSeries)],
        optimized: [String: [Double]] = [:]
    ) throws {
        let wire = request.strategy ?? PulseV1.Strategy()
        let name = wire.name.isEmpty ? "sma-cross" : wire.name
        let expressions = [wire.entry, wire.exit, wire.shortEntry, wire.shortExit].map { $0.isEmpty ? nil : $0 }
        var fixed: [String: Double] = [:]
        for parameter in wire.parameters {
            guard !parameter.name.isEmpty, parameter.value.isFinite, fixed[parameter.name] == nil else {
                throw GRPCStatus(
                    .invalidArgument,
                    "strategy.parameters: '\(parameter.name)' = \(parameter.value) must be a named, finite value, "
                        + "given once")
            }
            fixed[parameter.name] = parameter.value
        }
        guard request.riskFreeRate == 0 else {
            throw GRPCStatus(
                .invalidArgument,
                "risk_free_rate \(request.riskFreeRate): not supported; statistics use 0, backtesting.py's default")
        }
        let strategy = StrategyInput(name: name, expressions: expressions, fixed: fixed)
        maxEquityPoints = Int(request.maxEquityPoints)
        self.fixed = fixed
        if series.count > 1 || request.rebalance != nil {
            guard optimized.isEmpty else {
                throw GRPCStatus(.invalidArgument, "Optimize works on one symbol; the request gives a portfolio")
            }
            (run, parameters) = try Self.portfolio(request, series: series, strategy: strategy)
            return
        }
        let (symbol, bars) = series[0]
        let orders = try Self.orders(request)
        let factory: StrategyFactory
        do {
            factory = try StrategyFactory(
                name: name, expressions: expressions, orders: orders, bars: bars, fixed: fixed, optimized: optimized)
        } catch {
            throw ComputeJob.status(for: error)
        }
        if orders != OrderExpressions(), factory.entersShort {
            throw GRPCStatus(
                .invalidArgument,
                "order_type \(request.orderType.rawValue): limit and stop offsets are levels for long entries; "
                    + "the strategy also enters short")
        }
        let configuration: BacktestConfiguration
        do {
            configuration = try BacktestConfiguration(
                cash: request.cash == 0 ? 10_000 : request.cash, commission: request.commission,
                fixedCommission: request.fixedCommission, slippage: request.slippage,
                margin: request.margin == 0 ? 1 : request.margin, tradeOnClose: request.tradeOnClose,
                fractional: request.fractional, sizing: try Self.sizing(request.sizing), strategy: name,
                expressions: expressions, finalizeTrades: request.finalizeTrades, stopLoss: request.stopLoss,
                takeProfit: request.takeProfit, trailingStop: request.trailingStop)
        } catch let error as BacktestError {
            throw GRPCStatus(.invalidArgument, error.message)
        }
        run = .single(symbol: symbol, bars: bars, factory: factory, configuration: configuration)
        parameters = factory.parameters
    }

    /// The strategy as the request names it.
    struct StrategyInput: Sendable {
        var name: String
        var expressions: [String?]
        var fixed: [String: Double]
    }

    /// Checked bars and a symbol per series: the inline `data` (checked on the compute pool), else the stored
    /// `symbols`.
    static func series(
        _ request: PulseV1.BacktestRequest, stored: StoredBars, context: ServerContext
    ) async throws -> [(symbol: String, bars: BarSeries)] {
        let pool = context.computePool
        var series: [(symbol: String, bars: BarSeries)] = []
        if !request.data.isEmpty {
            series = try await pool.run {
                try request.data.enumerated().map { k, data throws(GRPCStatus) in
                    let symbol =
                        !data.symbol.isEmpty
                        ? data.symbol : k < request.symbols.count ? request.symbols[k] : "data[\(k)]"
                    return (symbol, try WireBars.bars(data, field: "data[\(k)]"))
                }
            }
        } else {
            guard !request.symbols.isEmpty else {
                throw GRPCStatus(.invalidArgument, "give the bars inline (data) or at least one symbol")
            }
            for symbol in request.symbols {
                let bars = try await stored.bars(
                    symbol: symbol, timeframe: request.timeframe, start: request.startTimeMs, end: request.endTimeMs,
                    limit: 0, context: context)
                series.append((symbol, bars))
            }
        }
        var seen = Set<String>()
        for (symbol, _) in series where !seen.insert(symbol).inserted {
            throw GRPCStatus(.invalidArgument, "symbol \(symbol) is given twice")
        }
        return series
    }

    /// `order_type` with its offsets as the price expressions `--limit`/`--stop` take.
    static func orders(_ request: PulseV1.BacktestRequest) throws(GRPCStatus) -> OrderExpressions {
        for (name, value) in [("limit_offset", request.limitOffset), ("stop_offset", request.stopOffset)] {
            guard value >= 0, value < 1 else {
                throw GRPCStatus(.invalidArgument, "\(name) must be a fraction in [0, 1), got \(value)")
            }
        }
        let limit = "close * \(1 - request.limitOffset)"
        let stop = "close * \(1 + request.stopOffset)"
        switch request.orderType {
        case .market: return OrderExpressions()
        case .limit: return OrderExpressions(limit: limit)
        case .stop: return OrderExpressions(stop: stop)
        case .stopLimit: return OrderExpressions(limit: limit, stop: stop)
        default:
            throw GRPCStatus(
                .invalidArgument,
                "order_type \(request.orderType.rawValue): use MARKET (0), LIMIT (1), STOP (2) or STOP_LIMIT (3)")
        }
    }

    static func sizing(_ sizing: PulseV1.Sizing?) throws(GRPCStatus) -> PositionSizing? {
        switch sizing?.size {
        case nil: return nil
        case .equityFraction(let f): return .equityFraction(f)
        case .units(let u): return .units(u)
        case .cash(let c): return .cash(c)
        }
    }
}

extension BacktestPlan {
    /// Runs the backtest (on a compute thread), as `pulse backtest` runs it.
    func execute(control: BacktestControl) throws -> PulseV1.BacktestResult {
        switch run {
        case .single(let symbol, let bars, let factory, let configuration):
            let result = try BacktestEngine.run(
                bars: bars, signals: try factory.signals(fixed), configuration: configuration, control: control)
            return WireResults.result(
                result, symbol: symbol, bars: bars, parameters: parameters, maxEquityPoints: maxEquityPoints)
        case .portfolio(let assets, let rule, let schedule, let configuration):
            let result = try PortfolioBacktest.run(
                assets: assets, rule: rule, schedule: schedule, configuration: configuration, control: control)
            return WireResults.result(result, parameters: parameters, maxEquityPoints: maxEquityPoints)
        }
    }
}
