/// The families of indicator functions the standard registry collects. A family is a `definitions` table in its
/// own file; adding a family is one line here.
enum IndicatorCatalog {
    static let families: [[IndicatorDefinition]] = [
        OverlapStudies.definitions,
        MomentumIndicators.definitions,
        StatisticFunctions.definitions,
        VolatilityIndicators.definitions,
        TrendIndicators.definitions,
        OscillatorIndicators.definitions,
        VolumeIndicators.definitions,
        PriceIndicators.definitions,
    ]
}
