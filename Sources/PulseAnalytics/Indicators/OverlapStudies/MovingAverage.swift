extension TA {
    /// A moving average of any supported type, TA-Lib's `MA` (period 1 copies the input for every type).
    public static func ma(_ x: [Double], period: Int = 30, type: MovingAverageType = .sma) throws(IndicatorError)
        -> [Double]
    {
        try ParameterCheck.period(period, in: 1...100_000, function: "MA")
        try ParameterCheck.maType(type, function: "MA")
        return AlignedOutput.make(count: x.count, begin: maLookback(type, period)) { out in
            withBase(x) { maCore(type, $0, count: x.count, period: period, out: out) }
        }
    }

    /// TA-Lib's `TA_MA_Lookback`.
    static func maLookback(_ type: MovingAverageType, _ period: Int) -> Int {
        if period <= 1 { return 0 }
        switch type {
        case .sma, .ema, .wma, .trima: return period - 1
        case .dema: return 2 * (period - 1)
        case .tema: return 3 * (period - 1)
        case .kama: return period
        case .t3: return 6 * (period - 1)
        case .mama: return 32
        }
    }

    /// Writes the moving average at `maLookback(type, period)..<count`.
    static func maCore(
        _ type: MovingAverageType, _ x: UnsafePointer<Double>, count: Int, period: Int,
        out: UnsafeMutablePointer<Double>
    ) {
        if period == 1 {
            for i in 0..<count { out[i] = x[i] }
            return
        }
        switch type {
        case .sma: smaCore(x, count: count, period: period, out: out)
        case .ema: emaCore(x, count: count, period: period, out: out)
        case .wma: wmaCore(x, count: count, period: period, out: out)
        case .dema: demaCore(x, count: count, period: period, out: out)
        case .tema: temaCore(x, count: count, period: period, out: out)
        case .trima: trimaCore(x, count: count, period: period, out: out)
        case .kama: kamaCore(x, count: count, period: period, out: out)
        case .t3: t3Core(x, count: count, period: period, volumeFactor: 0.7, out: out)
        case .mama: preconditionFailure("MAMA is rejected by parameter validation")
        }
    }

    /// The moving average as a new aligned array (NaN in the lookback).
    static func maArray(_ type: MovingAverageType, _ x: UnsafePointer<Double>, count: Int, period: Int) -> [Double] {
        AlignedOutput.make(count: count, begin: maLookback(type, period)) { out in
            maCore(type, x, count: count, period: period, out: out)
        }
    }
}

/// Streaming moving average of any supported type, bit-identical to `TA.ma`.
enum MovingAverageState: ValueStepper {
    case copy
    case sma(SMAState)
    case ema(EMAState)
    case wma(WMAState)
    case dema(DEMAState)
    case tema(TEMAState)
    case trima(TRIMAState)
    case kama(KAMAState)
    case t3(T3State)

    init(_ type: MovingAverageType, period: Int) {
        if period == 1 {
            self = .copy
            return
        }
        switch type {
        case .sma: self = .sma(SMAState(period: period))
        case .ema: self = .ema(EMAState(period: period))
        case .wma: self = .wma(WMAState(period: period))
        case .dema: self = .dema(DEMAState(period: period))
        case .tema: self = .tema(TEMAState(period: period))
        case .trima: self = .trima(TRIMAState(period: period))
        case .kama: self = .kama(KAMAState(period: period))
        case .t3: self = .t3(T3State(period: period, volumeFactor: 0.7))
        case .mama: preconditionFailure("MAMA is rejected by parameter validation")
        }
    }

    /// Each case moves its state out and parks `.copy` meanwhile, so the state's buffers stay uniquely referenced
    /// and are mutated in place (binding the payload alone would copy its ring buffer on every step).
    mutating func step(_ x: Double) -> Double {
        switch self {
        case .copy: return x
        case .sma(var s):
            self = .copy
            defer { self = .sma(s) }
            return s.step(x)
        case .ema(var s):
            self = .copy
            defer { self = .ema(s) }
            return s.step(x)
        case .wma(var s):
            self = .copy
            defer { self = .wma(s) }
            return s.step(x)
        case .dema(var s):
            self = .copy
            defer { self = .dema(s) }
            return s.step(x)
        case .tema(var s):
            self = .copy
            defer { self = .tema(s) }
            return s.step(x)
        case .trima(var s):
            self = .copy
            defer { self = .trima(s) }
            return s.step(x)
        case .kama(var s):
            self = .copy
            defer { self = .kama(s) }
            return s.step(x)
        case .t3(var s):
            self = .copy
            defer { self = .t3(s) }
            return s.step(x)
        }
    }
}
