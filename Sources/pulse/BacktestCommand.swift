import ArgumentParser

struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest", abstract: "Backtest a strategy over an OHLCV CSV file.")

    func run() async throws {
        throw UsageError("pulse backtest is not available in this build yet")
    }
}
