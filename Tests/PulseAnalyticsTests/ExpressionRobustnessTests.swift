import Testing

@testable import PulseAnalytics

/// Arbitrary text never crashes the parser, the compiler or the evaluator: it compiles and evaluates, or it
/// is an `ExpressionError`.
@Suite struct ExpressionRobustnessTests {
    static let vocabulary = [
        "close", "open", "high", "volume", "hl2", "fast", "$fast", "n", "1", "0", "-1", "2.5", "1e3", "(", ")", ",",
        "+", "-", "*", "/", "<", ">=", "==", "!=", "and", "or", "not", "true", "sma(", "ema(", "rsi(", "crossover(",
        "shift(", "prev(", "highest(", "abs(", "max(", "bbands_upper(", "macd_signal(", "atr(", "stoch_k(", "@1d",
        "@1h", "@2d", "@", "$", "#", "=", "!", ".", "smaa(", "obv(",
    ]

    /// A small deterministic generator (SplitMix64), so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomTextIsCompiledOrRejected() {
        var random = SplitMix(state: 42)
        let start: Int64 = 1_704_205_800
        let bars = BarSeries(
            labels: (0..<30).map { "\($0)" }, timestamps: (0..<30).map { start + Int64($0) * 3600 },
            open: ExpressionFixture.wave(count: 30), high: ExpressionFixture.wave(count: 30).map { $0 + 1 },
            low: ExpressionFixture.wave(count: 30).map { $0 - 1 }, close: ExpressionFixture.wave(count: 30),
            volume: Array(repeating: 5, count: 30))
        var compiled = 0
        for _ in 0..<3000 {
            let length = Int.random(in: 1...12, using: &random)
            let text = (0..<length).map { _ in Self.vocabulary.randomElement(using: &random)! }.joined(separator: " ")
            do {
                let strategy = try Strategy.compile(entry: text, parameters: ["fast": 3, "n": 2])
                _ = try strategy.signals(on: bars)
                compiled += 1
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(compiled > 0)
    }

    /// Grammar-shaped random expressions (valid and invalid periods, nested timeframes, NaN-heavy indicators),
    /// some with a character dropped or inserted: these reach the evaluator far more often than token soup.
    @Test func randomExpressionsEvaluateOrAreRejected() {
        var random = SplitMix(state: 7)
        let bars = ExpressionTimeframeTests.hourly
        var evaluated = 0
        for _ in 0..<1500 {
            var text = Self.condition(depth: 3, &random)
            if Int.random(in: 0..<4, using: &random) == 0, !text.isEmpty {
                var characters = Array(text)
                let at = Int.random(in: 0..<characters.count, using: &random)
                if Bool.random(using: &random) {
                    characters.remove(at: at)
                } else {
                    characters.insert(Array("(),@$-<").randomElement(using: &random)!, at: at)
                }
                text = String(characters)
            }
            do {
                let strategy = try Strategy.compile(
                    entry: text, orders: OrderExpressions(stopLoss: "low - 1"), parameters: ["fast": 3, "n": -2])
                let signals = try strategy.signals(on: bars)
                #expect(signals.count == bars.count)
                evaluated += 1
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(evaluated > 300)
    }

    static func pick(_ choices: [String], _ random: inout SplitMix) -> String { choices.randomElement(using: &random)! }

    static func condition(depth: Int, _ random: inout SplitMix) -> String {
        let d = depth - 1
        switch depth <= 0 ? 0 : Int.random(in: 0..<7, using: &random) {
        case 0:
            return
                "\(value(depth: d, &random)) \(pick(["<", ">", "<=", ">=", "==", "!="], &random)) \(value(depth: d, &random))"
        case 1: return "crossover(\(value(depth: d, &random)), \(value(depth: d, &random)))"
        case 2: return "not \(condition(depth: d, &random))"
        case 3:
            return "(\(condition(depth: d, &random)) \(pick(["and", "or"], &random)) \(condition(depth: d, &random)))"
        case 4: return "prev(\(condition(depth: d, &random)))"
        case 5: return "(\(condition(depth: d, &random)))@\(pick(["1d", "1h", "1w"], &random))"
        default: return pick(["true", "false", "close > open"], &random)
        }
    }

    static func value(depth: Int, _ random: inout SplitMix) -> String {
        let d = depth - 1
        let period = pick(["1", "2", "3", "5", "0", "-1", "n", "fast", "2.5", "40", "fast * 2"], &random)
        switch depth <= 0 ? 0 : Int.random(in: 0..<12, using: &random) {
        case 0:
            return pick(
                ["close", "open", "high", "low", "hl2", "ohlc4", "volume", "fast", "0", "1e300", "-3"], &random)
        case 1: return "\(value(depth: d, &random)) \(pick(["+", "-", "*", "/"], &random)) \(value(depth: d, &random))"
        case 2:
            return
                "\(pick(["sma", "ema", "rsi", "wma", "highest", "lowest", "shift", "mom"], &random))(\(value(depth: d, &random)), \(period))"
        case 3: return "abs(\(value(depth: d, &random)))"
        case 4: return "max(\(value(depth: d, &random)), \(value(depth: d, &random)))"
        case 5: return "atr(\(period))"
        case 6: return "\(value(depth: d, &random))@\(pick(["1d", "1h", "4h", "1w", "1mo"], &random))"
        case 7:
            return "bbands_upper(\(value(depth: d, &random)), \(period), \(pick(["2", "0", "-1", "fast"], &random)))"
        case 8: return "macd_hist(\(value(depth: d, &random)))"
        case 9: return "stoch_k(\(period))"
        case 10: return "prev(\(value(depth: d, &random)))"
        default: return "-\(value(depth: d, &random))"
        }
    }
}
