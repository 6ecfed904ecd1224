import ArgumentParser

struct IndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators", abstract: "Compute technical indicators over an OHLCV CSV file.")

    func run() async throws {
        throw UsageError("pulse indicators is not available in this build yet")
    }
}
