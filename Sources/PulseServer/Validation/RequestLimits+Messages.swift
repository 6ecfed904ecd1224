import PulseProtocol

/// The limits applied to each request message of the services on this server.
extension RequestLimits {
    public static func check(_ request: PulseV1.ComputeIndicatorsRequest) throws(GRPCStatus) {
        if !request.symbol.isEmpty { try checkSymbol(request.symbol, field: "symbol") }
        try checkTimeframe(request.timeframe)
        try checkRange(start: request.startTimeMs, end: request.endTimeMs)
        try checkLimit(request.limit)
        if let bars = request.bars { try checkInline([bars], field: "bars", repeated: false) }
        try checkIndicators(request.indicators)
    }

    static func checkIndicators(_ specs: [PulseV1.IndicatorSpec]) throws(GRPCStatus) {
        try checkCount(specs.count, max: maxIndicators, field: "indicators", of: "entries")
        for (index, spec) in specs.enumerated() {
            try checkName(spec.function, field: "indicators[\(index)].function")
            try checkCount(
                spec.parameters.count, max: maxIndicatorParameters, field: "indicators[\(index)].parameters",
                of: "values")
        }
    }

    public static func check(_ request: PulseV1.BacktestRequest, field: String = "") throws(GRPCStatus) {
        try checkCount(request.symbols.count, max: maxSymbolsPerRequest, field: "\(field)symbols", of: "entries")
        for (index, symbol) in request.symbols.enumerated() {
            try checkSymbol(symbol, field: "\(field)symbols[\(index)]")
        }
        try checkTimeframe(request.timeframe, field: "\(field)timeframe")
        try checkRange(start: request.startTimeMs, end: request.endTimeMs, field: field)
        try checkInline(request.data, field: "\(field)data")
        if let strategy = request.strategy {
            try checkName(strategy.name, field: "\(field)strategy.name")
            for (name, text) in [
                ("entry", strategy.entry), ("exit", strategy.exit), ("short_entry", strategy.shortEntry),
                ("short_exit", strategy.shortExit),
            ] {
                try checkExpression(text, field: "\(field)strategy.\(name)")
            }
            try checkCount(
                strategy.parameters.count, max: maxStrategyParameters, field: "\(field)strategy.parameters",
                of: "entries")
            for (index, parameter) in strategy.parameters.enumerated() {
                try checkName(parameter.name, field: "\(field)strategy.parameters[\(index)].name")
            }
        }
        if let rebalance = request.rebalance {
            try checkExpression(rebalance.weightExpression, field: "\(field)rebalance.weight_expression")
            try checkCount(
                rebalance.weights.count, max: maxSymbolsPerRequest, field: "\(field)rebalance.weights", of: "entries")
            for (index, weight) in rebalance.weights.enumerated() {
                try checkSymbol(weight.symbol, field: "\(field)rebalance.weights[\(index)].symbol")
            }
        }
    }

    /// The grid's own size limit (parameter sets per call) is the service's: RESOURCE_EXHAUSTED, see
    /// ``BacktestsService/maxOptimizeRuns``.
    public static func check(_ request: PulseV1.OptimizeRequest) throws(GRPCStatus) {
        if let base = request.base { try check(base, field: "base.") }
        try checkCount(request.grid.count, max: maxStrategyParameters, field: "grid", of: "ranges")
        for (index, range) in request.grid.enumerated() {
            try checkName(range.name, field: "grid[\(index)].name")
            try checkCount(range.values.count, max: maxGridValues, field: "grid[\(index)].values", of: "values")
        }
        try checkName(request.maximize, field: "maximize")
    }
}
