/// TA-Lib's "Statistic Functions" and price-range functions over closes.
enum StatisticFunctions {
    static let definitions: [IndicatorDefinition] = []
}
