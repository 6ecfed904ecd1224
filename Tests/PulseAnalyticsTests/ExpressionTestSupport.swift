import Foundation

@testable import PulseAnalytics

/// Small hand-made bar series and a way to evaluate any expression's value over them.
enum ExpressionFixture {
    /// Bars whose open/high/low are derived from the close (open = previous close, high/low ±1), one per day.
    static func bars(closes: [Double], volume: [Double]? = nil, start: Int64 = 1_704_067_200, step: Int64 = 86_400)
        -> BarSeries
    {
        let opens = closes.indices.map { $0 == 0 ? closes[0] : closes[$0 - 1] }
        return BarSeries(
            labels: closes.indices.map { "\($0)" },
            timestamps: closes.indices.map { start + Int64($0) * step },
            open: opens, high: closes.map { $0 + 1 }, low: closes.map { $0 - 1 }, close: closes, volume: volume)
    }

    /// A deterministic wiggly price path: a sine wave plus a sawtooth, so crossings happen at varied places.
    static func wave(count: Int, level: Double = 100, amplitude: Double = 10, period: Double = 7) -> [Double] {
        (0..<count).map { i -> Double in
            let x = Double(i)
            return level + amplitude * sin(x / period) + Double((i * 7) % 11) / 4
        }
    }

    /// The value of `source` over `bars`: a series (NaN where undefined), a condition as 1/0, a number broadcast.
    static func values(_ source: String, on bars: BarSeries, parameters: [String: Double] = [:]) throws -> [Double] {
        var compiler = Compiler(parameterNames: Set(parameters.keys))
        try compiler.addValue(source)
        let evaluator = ProgramEvaluator(program: compiler.program, base: bars, cache: EvaluationCache())
        return try evaluator.evaluateValues(parameters: parameters).roots[0].series(count: bars.count)
    }

    /// The error compiling `source` as an entry condition throws, or nil if it compiles.
    static func compileError(_ source: String, parameters: [String: Double] = [:]) -> ExpressionError? {
        do {
            _ = try Strategy.compile(entry: source, parameters: parameters)
            return nil
        } catch {
            return error
        }
    }
}

/// Element-wise equality where NaN equals NaN and values agree to a few ulps.
func sameSeries(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
        (x.isNaN && y.isNaN) || abs(x - y) <= tolerance * max(1, abs(y))
    }
}
