import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `pulse` command line: one executable for the server, the gateway and offline tools.
///
/// Usage errors (bad flags, unreadable input, bad expressions) exit with status 2 and a message on
/// standard error; other failures with status 1.
@main
struct Pulse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulse",
        abstract: "PulseTrader: real-time market data, indicators and backtests over gRPC.",
        subcommands: [
            ServeCommand.self,
            IndicatorsCommand.self,
            BacktestCommand.self,
            CalendarCommand.self,
            ImportCommand.self,
            AnalyticsCommand.self,
            MigrateCommand.self,
            WorkerCommand.self,
            KeysCommand.self,
            FetchCommand.self,
            LoadCommand.self,
            ScreenCommand.self,
            AWSSignCommand.self,
            SQSCommand.self,
            QuoteCommand.self,
            BarsCommand.self,
            ClockCommand.self,
            GatewayCommand.self,
            WatchCommand.self,
            LambdaCommand.self,
            PusherCommand.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Glibc.exit(0)
            }
            if let exit = error as? ExitCode, exit != .success {
                Glibc.exit(exit.rawValue)  // the command has said why on standard error already
            }
            if let failure = error as? CallFailure {
                StandardError.write(failure.description)
                Glibc.exit(1)
            }
            StandardError.write(message.isEmpty ? "pulse: \(error)" : message)
            // ArgumentParser's usage errors are EX_USAGE (64); our contract is the conventional 2.
            Glibc.exit(code == .validationFailure || error is UsageError ? 2 : (code.rawValue == 0 ? 1 : code.rawValue))
        }
    }
}

/// A problem with what the user asked for (a flag, a file, an expression): exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum StandardError {
    /// Writes one line to standard error (never standard output, which carries data).
    static func write(_ line: String) {
        let text = line.hasSuffix("\n") ? line : line + "\n"
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
