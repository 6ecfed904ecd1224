/// Indicators that must agree with backtesting.py bit for bit, so they follow pandas rather than TA-Lib.
///
/// backtesting.py's `SMA` is `pd.Series(x).rolling(n).mean()`. Its compensated running sum rounds differently
/// from TA-Lib's SMA, and on exact decimal ties (two averages equal on paper) the last bit decides a crossover:
/// with TA-Lib's SMA, 2 of 340 SMA-cross pairs on GOOG trade differently from backtesting.py. So the language's
/// `sma` is pandas' mean (`PandasRolling.mean`); TA-Lib's stays reachable as `ta_sma` (see `IndicatorAlias`).
extension FunctionCatalog {
    static let pandas: [ExpressionFunction] = [
        ExpressionFunction(
            "sma", [.init("x", .series), .init("n", .period(minimum: 1))], result: .series, indicator: true,
            summary: "simple moving average of x over n bars, pandas rolling(n).mean() as backtesting.py's SMA; "
                + "NaN until n values (or with a NaN in the window)"
        ) { context in .series(PandasRolling.mean(context.series(0), window: try context.period(1))) }
    ]
}
