import Foundation
import PulseAnalytics

/// How many stored bars before a requested range an indicator needs so that its values over the range equal a
/// computation over the symbol's whole stored history to 1e-9 (the rule in Protocol/README.md, "Indicators over
/// stored bars").
///
/// - Window functions (SMA, WMA, BBANDS, STOCH, MFI, CCI, …) depend on their last `lookback + 1` bars only:
///   the lookback is enough.
/// - Recursive functions forget their start geometrically: an exponential smoothing with factor α carries
///   `(1 − α)^k` of its seed after k bars. A chain of n smoothings (DEMA's two EMAs, T3's six, ADX's Wilder
///   smoothing of smoothed movements) carries at most `C(k + n − 1, n − 1)·(1 − α)^k` of the first one's seed,
///   α the slowest factor of the chain. The warm-up is the smallest k that brings ten times that under 1e-16,
///   below a double's precision: the ten covers the weights by which outputs combine their stages (DEMA's 2,
///   TEMA's 3, T3's at most 8), the margin down from 1e-9 the functions that divide by a small difference
///   (STOCHRSI over a flat RSI). TA-Lib calls this span the unstable period.
/// - Cumulative or path-dependent functions (OBV, AD, ADOSC, SAR) never forget their start: the whole history.
/// - VWAP restarts every session: a day of minutes (1,440 bars) reaches back past any session's start.
///
/// The bound is per function rather than one generous multiple because the warm-up is read and computed again
/// for every page of a large result: EMA 50's used to be 8,257 bars for every 10,000-bar page.
enum IndicatorWarmUp {
    /// Bars to fetch before the range for `spec`; nil: every stored bar before it.
    static func bars(for spec: IndicatorSpec) -> Int? {
        let name = spec.definition.name.uppercased()
        if cumulative.contains(name) { return nil }
        if name == "VWAP" { return spec.lookback + 1440 }
        guard let chain = smoothing(spec) else { return spec.lookback }
        return spec.lookback + decayBars(chain)
    }

    /// The most any of `specs` needs (nil: the whole history).
    static func bars(for specs: [IndicatorSpec]) -> Int? {
        var most = 0
        for spec in specs {
            guard let count = bars(for: spec) else { return nil }
            most = max(most, count)
        }
        return most
    }

    static let cumulative: Set<String> = ["OBV", "AD", "ADOSC", "SAR", "SAREXT"]

    /// Exponential smoothings in a chain: the slowest factor among them and how many there are.
    struct Chain: Equatable {
        var alpha: Double
        var stages: Int

        /// This chain feeding (or beside) `other`: the slower factor, the stages added.
        func joined(_ other: Chain?) -> Chain {
            guard let other else { return self }
            return Chain(alpha: min(alpha, other.alpha), stages: stages + other.stages)
        }
    }

    /// The smoothings of `spec`: its own recursion and those of its moving-average type parameters, counted with
    /// its largest integer parameter (a longer period is a slower factor, so the count is never short); nil for a
    /// function without recursion.
    static func smoothing(_ spec: IndicatorSpec) -> Chain? {
        let period = largestPeriod(spec)
        let ema = 2 / (Double(period) + 1)
        let wilder = 1 / Double(period)
        var chain: Chain?
        switch spec.definition.name.uppercased() {
        case "EMA": chain = Chain(alpha: ema, stages: 1)
        case "DEMA": chain = Chain(alpha: ema, stages: 2)
        case "TEMA", "TRIX": chain = Chain(alpha: ema, stages: 3)
        case "T3": chain = Chain(alpha: ema, stages: 6)
        case "KAMA": chain = Chain(alpha: slowKAMA, stages: 1)
        // The fast and slow EMAs side by side, the signal EMA over their difference.
        case "MACD": chain = Chain(alpha: ema, stages: 2)
        case "RSI", "CMO", "STOCHRSI", "ATR", "NATR", "PLUS_DM", "MINUS_DM", "PLUS_DI", "MINUS_DI":
            chain = Chain(alpha: wilder, stages: 1)
        // Wilder's smoothing of DX, itself from smoothed movements.
        case "ADX", "ADXR": chain = Chain(alpha: wilder, stages: 2)
        default: chain = nil
        }
        for type in movingAverageTypes(spec) {
            let stage: Chain?
            switch type {
            case .ema: stage = Chain(alpha: ema, stages: 1)
            case .dema: stage = Chain(alpha: ema, stages: 2)
            case .tema: stage = Chain(alpha: ema, stages: 3)
            case .t3: stage = Chain(alpha: ema, stages: 6)
            case .kama: stage = Chain(alpha: slowKAMA, stages: 1)
            // MAMA is not computed (MovingAverageType.supported); SMA, WMA and TRIMA are windows.
            case .sma, .wma, .trima, .mama: stage = nil
            }
            if let stage { chain = stage.joined(chain) }
        }
        return chain
    }

    /// KAMA's slowest smoothing constant, (2 / (30 + 1))².
    static let slowKAMA = (2.0 / 31) * (2.0 / 31)

    /// The smallest k with `10·C(k + n − 1, n − 1)·(1 − α)^k < 1e-16`.
    static func decayBars(_ chain: Chain) -> Int {
        guard chain.alpha > 0, chain.alpha < 1, chain.stages > 0 else { return 0 }
        let perBar = -log1p(-chain.alpha)
        let target = log(1e17)
        let n = Double(chain.stages)
        // ln C(k + n − 1, n − 1), the number of ways the seed's weight reaches the last stage.
        func paths(_ k: Double) -> Double { lgamma(k + n) - lgamma(k + 1) - lgamma(n) }
        // k = (target + paths(k)) / perBar has one fixed point past which the left side wins; paths grows like
        // (n − 1)·ln k, so a few rounds from below reach it.
        var k = target / perBar
        for _ in 0..<50 {
            let next = (target + paths(k)) / perBar
            if next - k < 0.5 { break }
            k = next
        }
        var bars = Int(k.rounded(.up))
        while Double(bars) * perBar < target + paths(Double(bars)) { bars += 1 }
        return bars
    }

    static func largestPeriod(_ spec: IndicatorSpec) -> Int {
        var largest = 1
        for (parameter, value) in zip(spec.definition.parameters, spec.arguments.values) {
            if case .integer = parameter.kind { largest = max(largest, Int(value)) }
        }
        return largest
    }

    static func movingAverageTypes(_ spec: IndicatorSpec) -> [MovingAverageType] {
        zip(spec.definition.parameters, spec.arguments.values).compactMap { parameter, value in
            parameter.kind == .movingAverageType ? MovingAverageType(rawValue: Int(value)) : nil
        }
    }
}
