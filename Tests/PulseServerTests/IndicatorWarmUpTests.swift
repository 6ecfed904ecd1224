import Foundation
import PulseAnalytics
import Testing

@testable import PulseServer

@Suite("The warm-up of indicators over stored bars")
struct IndicatorWarmUpTests {
    @Test("decayBars is the smallest k with 10·C(k + n − 1, n − 1)·(1 − α)^k under 1e-16")
    func handComputed() {
        // 10·2^-k < 1e-16 ⇔ 2^k > 1e17 ⇔ k > 17·log2(10) = 56.47.
        #expect(IndicatorWarmUp.decayBars(.init(alpha: 0.5, stages: 1)) == 57)
        // 10·(k + 1)·2^-k: 64·2^-63 = 2^-57 (·10 = 6.9e-17) passes, 63·2^-62 (·10 = 1.37e-16) does not.
        #expect(IndicatorWarmUp.decayBars(.init(alpha: 0.5, stages: 2)) == 63)
        // 10·(k + 2)(k + 1)/2·2^-k: k = 68 gives 10·2415·2^-68 = 8.2e-17, k = 67 gives 10·2346·2^-67 = 1.59e-16.
        #expect(IndicatorWarmUp.decayBars(.init(alpha: 0.5, stages: 3)) == 68)
        #expect(IndicatorWarmUp.decayBars(.init(alpha: 1, stages: 1)) == 0)
    }

    @Test("Window functions need their lookback, cumulative ones everything, recursive ones their chain")
    func rules() throws {
        func bars(_ text: String) throws -> Int? {
            IndicatorWarmUp.bars(for: try IndicatorRegistry.standard.spec(text))
        }
        #expect(try bars("sma:20") == 19)
        #expect(try bars("bbands:20,2,2") == 19)
        #expect(try bars("obv") == nil)
        // EMA 50: α = 2/51, one stage: ⌈ln(1e17) / −ln(49/51)⌉ = 979 past its lookback of 49.
        #expect(try bars("ema:50") == 49 + 979)
        // A moving-average type adds its stages: BBANDS over an EMA needs what the EMA needs.
        #expect(try bars("bbands:20,2,2,1") == 19 + IndicatorWarmUp.decayBars(.init(alpha: 2.0 / 21, stages: 1)))
        #expect(try bars("adx:14") == 27 + IndicatorWarmUp.decayBars(.init(alpha: 1.0 / 14, stages: 2)))
        let specs = try ["sma:20", "rsi:14", "ema:50"].map { try IndicatorRegistry.standard.spec($0) }
        #expect(IndicatorWarmUp.bars(for: specs) == 49 + 979)
    }

    /// A walk that starts wild and settles, so a seed taken early is far from what the full history carries.
    static func hostileWalk(count: Int) -> BarSeries {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var close: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var volume: [Double] = []
        var price = 100.0
        for i in 0..<count {
            let swing = i < count / 3 ? 0.05 : 0.002
            price *= 1 + swing * (uniform() - 0.5)
            close.append(price)
            high.append(price * (1 + swing * uniform()))
            low.append(price * (1 - swing * uniform()))
            volume.append(100 + 10_000 * uniform())
        }
        let open = [close[0]] + close.dropLast()
        let times = (0..<count).map { Int64(1_700_000_000 + 60 * $0) }
        return BarSeries(
            labels: times.map(String.init), timestamps: times, open: open, high: zip(high, open).map { max($0, $1) },
            low: zip(low, open).map { min($0, $1) }, close: close, volume: volume)
    }

    static func suffix(_ bars: BarSeries, _ count: Int) -> BarSeries {
        BarSeries(
            labels: Array(bars.labels.suffix(count)), timestamps: bars.timestamps.map { Array($0.suffix(count)) },
            open: Array(bars.open.suffix(count)), high: Array(bars.high.suffix(count)),
            low: Array(bars.low.suffix(count)), close: Array(bars.close.suffix(count)),
            volume: bars.volume.map { Array($0.suffix(count)) })
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        (a.isNaN && b.isNaN) || abs(a - b) <= 1e-9 * max(1, abs(b))
    }

    @Test(
        "Over the warm-up alone the last bars equal a computation over the whole history; over the lookback they do not",
        arguments: [
            "ema:50", "dema:30", "tema:20", "trix:15", "t3:8,0.4", "kama:10", "macd:12,26,9", "rsi:14", "cmo:14",
            "stochrsi:14,5,3,0", "atr:14", "natr:14", "plus_di:14", "minus_dm:14", "adx:14", "adxr:14",
            "apo:12,26,1", "bbands:20,2,2,1", "stoch:5,3,2,3,4", "macdext:12,3,26,2,9,8",
        ])
    func equalsTheFullHistory(text: String) throws {
        let spec = try IndicatorRegistry.standard.spec(text)
        let warmUp = try #require(IndicatorWarmUp.bars(for: spec))
        let range = 500
        let all = Self.hostileWalk(count: warmUp + range + 12_000)
        let full = try spec.compute(all)
        let tail = try spec.compute(Self.suffix(all, warmUp + range))
        for (whole, short) in zip(full, tail) {
            let want = Array(whole.suffix(range))
            let got = Array(short.suffix(range))
            #expect(!got.contains { $0.isNaN }, "\(text): NaN inside the range")
            let off = zip(got, want).filter { !Self.close($0, $1) }.count
            #expect(off == 0, "\(text): \(off) of \(range) values differ from the full history's")
        }
        // The same over only the lookback: the recursion's start shows, so the comparison above can fail.
        let bare = try spec.compute(Self.suffix(all, spec.lookback + range))
        let differs = zip(full, bare).contains { whole, short in
            zip(short.suffix(range), whole.suffix(range)).contains { !Self.close($0, $1) }
        }
        #expect(differs, "\(text): its lookback alone already gives the full history's values")
    }
}
