/// Walk-forward analysis: optimise on an in-sample window, trade the best parameters on the following
/// out-of-sample window, roll forward by the out-of-sample length, repeat.
///
/// Out-of-sample signals are computed over the in-sample and out-of-sample bars together (indicators see
/// their history, never the future: bar `i`'s signal reads bars up to `i`), then only the out-of-sample part is
/// traded, from flat, with fresh cash.
public enum WalkForward {
    /// One fold.
    public struct Fold: Sendable {
        /// Bar ranges in the full series.
        public var inSample: Range<Int>
        public var outOfSample: Range<Int>
        public var bestParameters: [String: Double]
        public var inSampleScore: Double?
        /// The out-of-sample result on `outOfSample` bars.
        public var outOfSampleResult: BacktestResult
    }

    /// Runs the folds.
    /// - Parameters:
    ///   - inSampleBars, outOfSampleBars: window lengths in bars (at least 2 each).
    ///   - signalSource: for a slice of bars, a function giving a parameter set's signals over it — one per
    ///     slice, so it can share indicator series across the fold's grid.
    public static func run(
        bars: BarSeries, inSampleBars: Int, outOfSampleBars: Int, space: ParameterSpace,
        method: Optimizer.Method = .grid,
        maximize: String, configuration: BacktestConfiguration, workers: Int = 2, control: BacktestControl = .none,
        signalSource: @escaping @Sendable (BarSeries) throws -> @Sendable ([String: Double]) throws -> StrategySignals,
        onFold: (@Sendable (Fold) -> Void)? = nil
    ) async throws -> [Fold] {
        guard inSampleBars >= 2, outOfSampleBars >= 2 else {
            throw BacktestError(.invalidInput, "walk-forward windows need at least 2 bars each")
        }
        guard inSampleBars + outOfSampleBars <= bars.count else {
            throw BacktestError(
                .invalidInput,
                "walk-forward needs \(inSampleBars + outOfSampleBars) bars for one fold; the series has \(bars.count)")
        }
        var folds: [Fold] = []
        var start = 0
        while start + inSampleBars + outOfSampleBars <= bars.count {
            let train = start..<(start + inSampleBars)
            let test = train.upperBound..<(train.upperBound + outOfSampleBars)
            let trainBars = bars.slice(train)
            let outcome = try await Optimizer.run(
                bars: trainBars, space: space, method: method, maximize: maximize, configuration: configuration,
                workers: workers, control: control, makeSignals: try signalSource(trainBars))
            guard let best = outcome.best else {
                throw BacktestError(
                    .invalidInput,
                    "no parameter set gave a defined \(maximize) on bars \(train.lowerBound)..<\(train.upperBound)")
            }
            let history = bars.slice(train.lowerBound..<test.upperBound)
            let full = try signalSource(history)(best.parameters)
            let signals = full.dropFirst(inSampleBars)
            let result = try BacktestEngine.run(
                bars: bars.slice(test), signals: signals, configuration: configuration, control: control)
            let fold = Fold(
                inSample: train, outOfSample: test, bestParameters: best.parameters, inSampleScore: best.score,
                outOfSampleResult: result)
            onFold?(fold)
            folds.append(fold)
            start += outOfSampleBars
        }
        return folds
    }
}

extension BarSeries {
    /// The bars in `range`, as a new series.
    public func slice(_ range: Range<Int>) -> BarSeries {
        BarSeries(
            labels: Array(labels[range]), timestamps: timestamps.map { Array($0[range]) }, open: Array(open[range]),
            high: Array(high[range]), low: Array(low[range]), close: Array(close[range]),
            volume: volume.map { Array($0[range]) })
    }
}

extension StrategySignals {
    /// The signals without their first `k` bars; the warm-up shrinks accordingly.
    public func dropFirst(_ k: Int) -> StrategySignals {
        var s = StrategySignals(
            longEntry: Array(longEntry.dropFirst(k)), longExit: Array(longExit.dropFirst(k)),
            shortEntry: Array(shortEntry.dropFirst(k)), shortExit: Array(shortExit.dropFirst(k)),
            warmupBars: max(0, warmupBars - k))
        if let o = orders {
            s.orders = OrderInstructions(
                limit: o.limit.map { Array($0.dropFirst(k)) }, stop: o.stop.map { Array($0.dropFirst(k)) },
                stopLoss: o.stopLoss.map { Array($0.dropFirst(k)) },
                takeProfit: o.takeProfit.map { Array($0.dropFirst(k)) })
        }
        return s
    }
}
