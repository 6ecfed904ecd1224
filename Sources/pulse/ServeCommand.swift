import ArgumentParser

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the gRPC server.")

    func run() async throws {
        throw UsageError("pulse serve is not available in this build yet")
    }
}
