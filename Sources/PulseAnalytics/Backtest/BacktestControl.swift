/// How a caller (the RPC service, the optimiser, the CLI) watches and stops a running backtest.
///
/// The engine calls `isCancelled` and `progress` every `checkInterval` bars, never per bar, so a check costs
/// nothing measurable; a cancelled run throws `BacktestError` with code `.cancelled`.
public struct BacktestControl: Sendable {
    /// Bars between two checks.
    public var checkInterval: Int
    /// Returns true when the run should stop (e.g. `{ Task.isCancelled }`).
    public var isCancelled: @Sendable () -> Bool
    /// Receives the fraction of bars done, in `[0, 1]`.
    public var progress: (@Sendable (Double) -> Void)?

    public init(
        checkInterval: Int = 16_384, isCancelled: @escaping @Sendable () -> Bool = { false },
        progress: (@Sendable (Double) -> Void)? = nil
    ) {
        self.checkInterval = max(1, checkInterval)
        self.isCancelled = isCancelled
        self.progress = progress
    }

    /// Never cancelled, no progress reports.
    public static let none = BacktestControl()
}
