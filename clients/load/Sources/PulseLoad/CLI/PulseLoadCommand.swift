import ArgumentParser
import Foundation

/// `pulse-load`: the command line. Exit status 0 after a complete run, 1 when the run could not start
/// or ended early (its partial report is still printed and written), 2 for bad flags.
public struct PulseLoadCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pulse-load",
        abstract: "Load-tests a PulseTrader (gRPC) server and reports throughput, errors and latency.",
        subcommands: [
            UnaryCommand.self, SubscribeCommand.self, WebSocketCommand.self, CompareCommand.self, EncodeCommand.self,
        ])

    public init() {}

    /// Parses `arguments` (without the program name), runs the command and returns the exit status.
    public static func run(_ arguments: [String]) async -> Int32 {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            standardError(fullMessage(for: error))
            return 2
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var plain = command
                try plain.run()
            }
            return 0
        } catch let error as LoadError {
            standardError("pulse-load: \(error.message)")
            return 1
        } catch let error as ExitCode {
            return error.rawValue
        } catch let error as ValidationError {
            standardError("pulse-load: \(error.message)")
            return 2
        } catch {
            standardError("pulse-load: \(error)")
            return 1
        }
    }
}

/// Writes one line to standard error.
func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Flags both scenarios share.
struct CommonOptions: ParsableArguments {
    @Option(help: "The server, HOST:PORT ([IPv6]:PORT).")
    var target: String

    @Option(help: "Connections (HTTP/2, each multiplexing many calls).")
    var connections = 1

    @Option(help: "Measurement time after the warm-up: 10s, 500ms, 2m.")
    var duration: String?

    @Option(help: "Time before measuring starts (load is applied, nothing is recorded).")
    var warmup = "0s"

    @Option(help: "Event loops (threads) of the harness; default one per core, at most one per connection.")
    var loops: Int?

    @Option(name: .customLong("proto-path"), help: "Directory of .proto files (default: the repository's Protocol/).")
    var protoPath: String?

    @Option(help: "Write the report as JSON to this file (also when the run ends early).")
    var json: String?

    @Option(help: "An earlier JSON report: print the change of each figure.")
    var compare: String?

    @Flag(help: "No progress line on standard error.")
    var quiet = false

    func parsedTarget() throws -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring
        if target.hasPrefix("["), let close = target.firstIndex(of: "]") {
            host = target[target.index(after: target.startIndex)..<close]
            portText = target[target.index(after: close)...].drop { $0 == ":" }
        } else if let colon = target.lastIndex(of: ":") {
            host = target[..<colon]
            portText = target[target.index(after: colon)...]
        } else {
            throw ValidationError("--target must be HOST:PORT, got '\(target)'")
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
            throw ValidationError("--target must be HOST:PORT with a port 1-65535, got '\(target)'")
        }
        return (String(host), port)
    }

    func seconds(_ text: String, flag: String) throws -> Double {
        guard let value = DurationText.seconds(text) else {
            throw ValidationError("\(flag) takes a duration like 10s, 500ms or 2m, got '\(text)'")
        }
        return value
    }

    func validateCommon() throws {
        guard connections >= 1, connections <= 10_000 else { throw ValidationError("--connections must be 1-10000") }
        if let loops, loops < 1 { throw ValidationError("--loops must be at least 1") }
        _ = try parsedTarget()
        _ = try seconds(warmup, flag: "--warmup")
        if let duration, try seconds(duration, flag: "--duration") <= 0 {
            throw ValidationError("--duration must be above 0")
        }
    }

    func loadSchema() throws -> ProtoSchema {
        guard let directory = protoPath ?? ProtoSchema.defaultDirectory() else {
            throw ValidationError("cannot find the Protocol/ directory of .proto files: pass --proto-path")
        }
        do {
            return try ProtoSchema.load(directory: directory)
        } catch {
            throw ValidationError("--proto-path \(directory): \(error.message)")
        }
    }

    var progressPrinter: (@Sendable (String) -> Void)? {
        quiet ? nil : { @Sendable line in standardError(line) }
    }

    /// Prints the report, writes the JSON and the comparison; exit 1 for a partial run.
    func finish(_ report: LoadReport) throws {
        print(report.text)
        if let json {
            do {
                try JSONWriter.write(report.json).write(toFile: json, atomically: true, encoding: .utf8)
            } catch {
                throw LoadError("cannot write \(json): \(error)")
            }
        }
        if let compare {
            print("")
            print(try ReportComparison.load(compare).compare(with: report.json))
        }
        if report.partial {
            standardError("pulse-load: the run ended early: \(report.abortReason ?? "")")
            throw ExitCode(1)
        }
    }
}
