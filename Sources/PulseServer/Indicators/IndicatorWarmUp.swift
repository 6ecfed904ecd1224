import Foundation
import PulseAnalytics

/// How many stored bars before a requested range an indicator needs so that its values over the range equal a
/// computation over the symbol's whole stored history to 1e-9 (the rule in Protocol/README.md, "Indicators over
/// stored bars").
///
/// - Window functions (SMA, WMA, BBANDS, STOCH, MFI, CCI, …) depend on their last `lookback + 1` bars only:
///   the lookback is enough.
/// - Recursive functions forget their start geometrically: an exponential smoothing with factor α carries
///   `(1 − α)^k` of its seed after k bars, so `k = ln(1e12) / −ln(1 − α)` bars (≈ 27.6 / α) leave less than 1e-12
///   of it. With P the function's largest period, Wilder's α = 1/P is the slowest (EMA's 2/(P + 1) is faster);
///   cascades (DEMA, TEMA, TRIX, T3, MACD's signal, ADX's second smoothing) decay as a polynomial times that
///   geometric term, covered by counting six times over. KAMA's slowest smoothing is (2/31)², fixed by TA-Lib.
///   TA-Lib calls this span the unstable period.
/// - Cumulative or path-dependent functions (OBV, AD, ADOSC, SAR) never forget their start: the whole history.
/// - VWAP restarts every session: a day of minutes (1,440 bars) reaches back past any session's start.
enum IndicatorWarmUp {
    /// Bars to fetch before the range for `spec`; nil: every stored bar before it.
    static func bars(for spec: IndicatorSpec) -> Int? {
        let name = spec.definition.name.uppercased()
        if cumulative.contains(name) { return nil }
        if name == "VWAP" { return spec.lookback + 1440 }
        var unstable = 0
        if recursive.contains(name) { unstable = decayBars(alpha: 1 / Double(largestPeriod(spec))) * 6 }
        if name == "KAMA" || usesMovingAverage(spec, .kama) { unstable = max(unstable, decayBars(alpha: slowKAMA)) }
        if usesRecursiveMovingAverage(spec) {
            unstable = max(unstable, decayBars(alpha: 1 / Double(largestPeriod(spec))) * 6)
        }
        return spec.lookback + unstable
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
    static let recursive: Set<String> = [
        "EMA", "DEMA", "TEMA", "TRIX", "T3", "MACD", "MACDFIX", "RSI", "STOCHRSI", "CMO", "ATR", "NATR", "ADX", "ADXR",
        "DX", "PLUS_DI", "MINUS_DI", "PLUS_DM", "MINUS_DM", "MAMA", "HT_TRENDLINE", "HT_DCPERIOD", "HT_DCPHASE",
        "HT_PHASOR", "HT_SINE", "HT_TRENDMODE",
    ]
    /// KAMA's slowest smoothing constant, (2 / (30 + 1))².
    static let slowKAMA = (2.0 / 31) * (2.0 / 31)

    /// Bars after which `(1 − alpha)^k < 1e-12`.
    static func decayBars(alpha: Double) -> Int {
        guard alpha > 0, alpha < 1 else { return 0 }
        return Int((log(1e12) / -log1p(-alpha)).rounded(.up))
    }

    static func largestPeriod(_ spec: IndicatorSpec) -> Int {
        var largest = 2
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

    static func usesMovingAverage(_ spec: IndicatorSpec, _ type: MovingAverageType) -> Bool {
        movingAverageTypes(spec).contains(type)
    }

    /// Whether a moving-average parameter selects a recursive average (anything but SMA, WMA and TRIMA).
    static func usesRecursiveMovingAverage(_ spec: IndicatorSpec) -> Bool {
        movingAverageTypes(spec).contains { ![.sma, .wma, .trima].contains($0) }
    }
}
