import PulseProtocol
import Testing

@testable import PulseServer

@Suite("Input limits: every bound is INVALID_ARGUMENT naming the field")
struct RequestLimitsTests {
    static func bars(_ count: Int, symbol: String = "AAPL") -> PulseV1.BarSeries {
        var series = PulseV1.BarSeries()
        series.symbol = symbol
        series.timeMs = Array(repeating: 0, count: count)
        return series
    }

    static func compute(_ change: (inout PulseV1.ComputeIndicatorsRequest) -> Void) -> PulseV1.ComputeIndicatorsRequest
    {
        var request = PulseV1.ComputeIndicatorsRequest()
        request.symbol = "AAPL"
        request.indicators = [PulseV1.IndicatorSpec(function: "rsi", parameters: [14])]
        change(&request)
        return request
    }

    @Test(arguments: [
        ("a bad symbol", compute { $0.symbol = "AA PL" }, "symbol 'AA PL'"),
        ("a long symbol", compute { $0.symbol = String(repeating: "A", count: 17) }, "symbol"),
        (
            "a reversed range",
            compute {
                $0.startTimeMs = 2000; $0.endTimeMs = 1000
            }, "end_time_ms 1000"
        ),
        ("a time past 2200", compute { $0.endTimeMs = 9_000_000_000_000 }, "end_time_ms 9000000000000"),
        ("a huge limit", compute { $0.limit = 5_000_000 }, "limit 5000000"),
        (
            "too many indicators", compute { $0.indicators = Array(repeating: $0.indicators[0], count: 65) },
            "indicators"
        ),
        ("too many parameters", compute { $0.indicators[0].parameters = Array(repeating: 1, count: 17) }, "parameters"),
        ("too many inline bars", compute { $0.bars = bars(1_000_001) }, "bars has 1000001 bars"),
        ("a bad inline symbol", compute { $0.bars = bars(3, symbol: "$$") }, "bars.symbol"),
        ("a huge timeframe multiple", compute { $0.timeframe = PulseV1.Timeframe(1_000_000, .minute) }, "multiple"),
    ])
    func computeRequests(_ what: String, request: PulseV1.ComputeIndicatorsRequest, names: String) {
        do {
            try RequestLimits.check(request)
            Issue.record("\(what) passed")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(names), "\(error.message)")
        }
    }

    @Test func aReasonableRequestPasses() throws {
        try RequestLimits.check(
            Self.compute {
                $0.bars = Self.bars(1000); $0.startTimeMs = 1; $0.endTimeMs = 2
            })
        var backtest = PulseV1.BacktestRequest()
        backtest.symbols = ["BRK.B", "^GSPC", "EURUSD=X"]
        try RequestLimits.check(backtest)
    }

    @Test func backtestAndOptimizeBounds() {
        var backtest = PulseV1.BacktestRequest()
        backtest.strategy = PulseV1.Strategy()
        backtest.strategy?.entry = String(repeating: "x", count: 5000)
        #expect(throws: GRPCStatus.self) { try RequestLimits.check(backtest) }
        var many = PulseV1.BacktestRequest()
        many.symbols = (0..<101).map { "S\($0)" }
        #expect(throws: GRPCStatus.self) { try RequestLimits.check(many) }
        var optimize = PulseV1.OptimizeRequest()
        optimize.grid = Array(repeating: PulseV1.ParameterRange(), count: 65)
        #expect(throws: GRPCStatus.self) { try RequestLimits.check(optimize) }
        var nested = PulseV1.OptimizeRequest()
        nested.base = backtest
        do {
            try RequestLimits.check(nested)
            Issue.record("a long expression in base passed")
        } catch {
            #expect(error.message.contains("base.strategy.entry is 5000 bytes long"))
        }
    }
}
