import PulseAnalytics
import PulseClient
import PulseMarketData
import PulseProtocol

/// `POST /backtests` bodies: the BacktestRequest fields in snake_case JSON, times as RFC 3339 or epoch numbers.
///
/// ```json
/// {"symbols":["AAPL"],"timeframe":"1d","start":"2024-01-01T00:00:00Z",
///  "strategy":{"name":"sma_cross","parameters":{"fast":10,"slow":30}},
///  "cash":10000,"commission":0.002,"sizing":{"equity_fraction":0.5}}
/// ```
enum BacktestRequestJSON {
    /// A response must fit API Gateway's 6 MB: an unset `max_equity_points` downsamples the curve to this.
    static let defaultEquityPoints: UInt32 = 5_000

    static func parse(_ body: [UInt8]) throws(BridgeError) -> PulseV1.BacktestRequest {
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch {
            throw BridgeError(.invalidArgument, "the body is not JSON: \(error)")
        }
        guard let members = json.members else { throw BridgeError(.invalidArgument, "the body is not a JSON object") }
        var request = PulseV1.BacktestRequest()
        request.maxEquityPoints = defaultEquityPoints
        for member in members {
            let value = member.value
            switch member.name {
            case "symbols":
                guard case .array(let items) = value, !items.isEmpty else {
                    throw BridgeError(.invalidArgument, #"symbols: a non-empty array, e.g. ["AAPL"]"#)
                }
                request.symbols = try items.map { (item) throws(BridgeError) in
                    guard let text = item.string else {
                        throw BridgeError(.invalidArgument, "symbols holds a non-string")
                    }
                    return try Route.symbol(text)
                }
            case "symbol":
                guard let text = value.string else { throw BridgeError(.invalidArgument, "symbol: a string") }
                request.symbols = [try Route.symbol(text)]
            case "timeframe": request.timeframe = try Route.timeframe(try string(value, member.name))
            case "start": request.startTimeMs = try time(value, member.name)
            case "end": request.endTimeMs = try time(value, member.name)
            case "strategy": request.strategy = try strategy(value)
            case "cash": request.cash = try number(value, member.name)
            case "commission": request.commission = try number(value, member.name)
            case "fixed_commission": request.fixedCommission = try number(value, member.name)
            case "slippage": request.slippage = try number(value, member.name)
            case "margin": request.margin = try number(value, member.name)
            case "sizing": request.sizing = try sizing(value)
            case "fractional": request.fractional = try bool(value, member.name)
            case "order_type": request.orderType = try orderType(try string(value, member.name))
            case "limit_offset": request.limitOffset = try number(value, member.name)
            case "stop_offset": request.stopOffset = try number(value, member.name)
            case "trade_on_close": request.tradeOnClose = try bool(value, member.name)
            case "exclusive_orders": request.exclusiveOrders = try bool(value, member.name)
            case "stop_loss": request.stopLoss = try number(value, member.name)
            case "take_profit": request.takeProfit = try number(value, member.name)
            case "trailing_stop": request.trailingStop = try number(value, member.name)
            case "risk_free_rate": request.riskFreeRate = try number(value, member.name)
            case "finalize_trades": request.finalizeTrades = try bool(value, member.name)
            case "max_equity_points":
                let points = try number(value, member.name)
                guard points >= 0, points <= 1_000_000, points == points.rounded() else {
                    throw BridgeError(.invalidArgument, "max_equity_points: a whole number from 0 to 1000000")
                }
                request.maxEquityPoints = UInt32(points)
            default:
                throw BridgeError(.invalidArgument, "unknown field \"\(member.name.prefix(40))\" in the backtest")
            }
        }
        guard !request.symbols.isEmpty else {
            throw BridgeError(.invalidArgument, #"the backtest needs "symbols": ["AAPL"] (or "symbol")"#)
        }
        guard request.strategy != nil else {
            throw BridgeError(.invalidArgument, #"the backtest needs a "strategy": {"name": …} or entry/exit"#)
        }
        return request
    }

    static func strategy(_ value: JSONValue) throws(BridgeError) -> PulseV1.Strategy {
        guard let members = value.members else { throw BridgeError(.invalidArgument, "strategy: an object") }
        var strategy = PulseV1.Strategy()
        for member in members {
            switch member.name {
            case "name": strategy.name = try string(member.value, "strategy.name")
            case "entry": strategy.entry = try string(member.value, "strategy.entry")
            case "exit": strategy.exit = try string(member.value, "strategy.exit")
            case "short_entry": strategy.shortEntry = try string(member.value, "strategy.short_entry")
            case "short_exit": strategy.shortExit = try string(member.value, "strategy.short_exit")
            case "parameters":
                guard let parameters = member.value.members else {
                    throw BridgeError(.invalidArgument, #"strategy.parameters: an object, e.g. {"fast": 10}"#)
                }
                strategy.parameters = try parameters.map { (parameter) throws(BridgeError) in
                    var item = PulseV1.StrategyParameter()
                    item.name = parameter.name
                    item.value = try number(parameter.value, "strategy.parameters.\(parameter.name.prefix(40))")
                    return item
                }
            default:
                throw BridgeError(.invalidArgument, "unknown field \"\(member.name.prefix(40))\" in the strategy")
            }
        }
        return strategy
    }

    static func sizing(_ value: JSONValue) throws(BridgeError) -> PulseV1.Sizing {
        guard let members = value.members, members.count == 1, let member = members.first else {
            throw BridgeError(.invalidArgument, #"sizing: one of {"equity_fraction": x}, {"units": n}, {"cash": c}"#)
        }
        let amount = try number(member.value, "sizing.\(member.name.prefix(40))")
        switch member.name {
        case "equity_fraction": return PulseV1.Sizing(.equityFraction(amount))
        case "units": return PulseV1.Sizing(.units(amount))
        case "cash": return PulseV1.Sizing(.cash(amount))
        default: throw BridgeError(.invalidArgument, "sizing is equity_fraction, units or cash")
        }
    }

    static func orderType(_ text: String) throws(BridgeError) -> PulseV1.OrderType {
        switch text.lowercased() {
        case "market": return .market
        case "limit": return .limit
        case "stop": return .stop
        case "stop_limit": return .stopLimit
        default: throw BridgeError(.invalidArgument, "order_type is market, limit, stop or stop_limit")
        }
    }

    static func string(_ value: JSONValue, _ name: String) throws(BridgeError) -> String {
        guard let text = value.string else { throw BridgeError(.invalidArgument, "\(name): a string") }
        return text
    }

    static func number(_ value: JSONValue, _ name: String) throws(BridgeError) -> Double {
        guard case .number(let number) = value, number.isFinite else {
            throw BridgeError(.invalidArgument, "\(name): a number")
        }
        return number
    }

    static func bool(_ value: JSONValue, _ name: String) throws(BridgeError) -> Bool {
        guard case .bool(let flag) = value else { throw BridgeError(.invalidArgument, "\(name): true or false") }
        return flag
    }

    static func time(_ value: JSONValue, _ name: String) throws(BridgeError) -> Int64 {
        if case .number(let number) = value, number.isFinite, number == number.rounded(), abs(number) < 1e15 {
            let whole = Int64(number)
            return whole >= 100_000_000_000 ? whole : whole * 1000
        }
        guard let text = value.string, let seconds = TimestampParser.parse(text) else {
            throw BridgeError(.invalidArgument, "\(name): an RFC 3339 time (2025-08-12T14:35:00Z) or epoch seconds")
        }
        return seconds * 1000
    }
}

extension JSONRendering {
    /// A backtest's result: statistics under backtesting.py's names (times as RFC 3339, undefined as null), the
    /// trades, the open trades, the equity curve with its drawdown, and the parameters used.
    public static func backtest(_ result: PulseV1.BacktestResult) -> JSONValue {
        let statistics: [JSONMember] = result.statistics.map { statistic in
            guard statistic.value.isFinite else { return member(statistic.name, .null) }
            if statistic.kind == .timeMs { return member(statistic.name, .string(time(Int64(statistic.value)))) }
            return member(statistic.name, .number(statistic.value))
        }
        let equity = result.equity ?? PulseV1.EquityCurve()
        return .object([
            member("statistics", .object(statistics)),
            member("trades", .array(result.trades.map(trade))),
            member("open_trades", .array(result.openTrades.map(trade))),
            member(
                "equity",
                .object([
                    member("timestamps", .array(equity.timeMs.map { .string(time($0)) })),
                    member("equity", .array(equity.equity.map(finiteOrNull))),
                    member("drawdown", .array(equity.drawdown.map(finiteOrNull))),
                ])),
            member("parameters", .object(result.parameters.map { member($0.name, .number($0.value)) })),
        ])
    }

    static func finiteOrNull(_ value: Double) -> JSONValue { value.isFinite ? .number(value) : .null }

    static func trade(_ trade: PulseV1.Trade) -> JSONValue {
        .object([
            member("symbol", .string(trade.symbol)),
            member("size", .number(trade.size)),
            member("entry_bar", .number(Double(trade.entryBar))),
            member("exit_bar", .number(Double(trade.exitBar))),
            member("entry_time", .string(time(trade.entryTimeMs))),
            member("exit_time", timeOrNull(trade.exitTimeMs)),
            member("entry_price", finiteOrNull(trade.entryPrice)),
            member("exit_price", finiteOrNull(trade.exitPrice)),
            member("pnl", finiteOrNull(trade.pnl)),
            member("return_fraction", finiteOrNull(trade.returnFraction)),
            member("commission", finiteOrNull(trade.commission)),
            member("stop_loss", trade.stopLoss.map(finiteOrNull) ?? .null),
            member("take_profit", trade.takeProfit.map(finiteOrNull) ?? .null),
        ])
    }
}
