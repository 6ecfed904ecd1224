import ArgumentParser
import Foundation

/// `pulse-load unary`.
struct UnaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unary",
        abstract:
            "Unary calls, closed loop (--concurrency) or open loop (--rate, latency from the intended send time).",
        discussion: """
            pulse-load unary --target 127.0.0.1:50051 --method /pulse.v1.Diagnostics/Echo \\
                --data '{"payload":"cGluZw=="}' --connections 4 --concurrency 128 --duration 10s [--rate 50000]
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "The method, /package.Service/Method.")
    var method: String

    @Option(help: "The request as protobuf JSON (names from the .proto or lowerCamelCase, bytes as base64).")
    var data: String?

    @Option(name: .customLong("data-file"), help: "A file of requests, one JSON object per line, sent round-robin.")
    var dataFile: String?

    @Option(name: .customLong("data-bin"), help: "A file holding one request as raw protobuf bytes.")
    var dataBin: String?

    @Option(help: "Calls in flight (closed loop); with --rate, the most calls in flight.")
    var concurrency = 1

    @Option(help: "Stop after this many measured calls (instead of --duration).")
    var requests: Int?

    @Option(help: "Open loop: calls per second, or a schedule (step:START:END:STEP:EVERY, line:START:END).")
    var rate: String?

    @Option(
        name: .customLong("rate-schedule"), help: "Same as --rate with a schedule: step:100:1000:100:2s, line:100:5000."
    )
    var rateSchedule: String?

    @Option(help: "Each call's deadline (sent as grpc-timeout).")
    var timeout = "10s"

    func validate() throws {
        try common.validateCommon()
        guard concurrency >= 1, concurrency <= 1_000_000 else {
            throw ValidationError("--concurrency must be at least 1")
        }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if common.duration != nil, requests != nil { throw ValidationError("give --duration or --requests, not both") }
        if rate != nil, rateSchedule != nil { throw ValidationError("give --rate or --rate-schedule, not both") }
        guard method.hasPrefix("/"), method.dropFirst().contains("/") else {
            throw ValidationError("--method must be /package.Service/Method, got '\(method)'")
        }
        if [data, dataFile, dataBin].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --data, --data-file and --data-bin")
        }
        guard let seconds = DurationText.seconds(timeout), seconds > 0 else {
            throw ValidationError("--timeout takes a duration like 10s, got '\(timeout)'")
        }
        if let text = rate ?? rateSchedule {
            do {
                _ = try RateSchedule.parse(text, duration: 10)
            } catch {
                throw ValidationError("--rate: \(error.message)")
            }
        }
    }

    /// The encoded requests the flags describe.
    func requestMessages() throws -> [[UInt8]] {
        if let dataBin {
            guard let bytes = FileManager.default.contents(atPath: dataBin) else {
                throw ValidationError("--data-bin: cannot read \(dataBin)")
            }
            return [Array(bytes)]
        }
        let schema = try common.loadSchema()
        let descriptor: MethodDescriptor
        do {
            descriptor = try schema.method(method)
        } catch {
            throw ValidationError("--method: \(error.message)")
        }
        guard !descriptor.clientStreaming, !descriptor.serverStreaming else {
            throw ValidationError("--method: \(method) is a streaming method; unary needs a unary one")
        }
        let encoder = ProtoJSONEncoder(schema: schema)
        var lines: [(String, String)] = []
        if let dataFile {
            guard let text = try? String(contentsOfFile: dataFile, encoding: .utf8) else {
                throw ValidationError("--data-file: cannot read \(dataFile)")
            }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                lines.append(("--data-file \(dataFile):\(number + 1)", String(line)))
            }
            guard !lines.isEmpty else { throw ValidationError("--data-file: \(dataFile) has no requests") }
        } else {
            lines.append(("--data", data ?? "{}"))
        }
        var messages: [[UInt8]] = []
        for (source, json) in lines {
            do {
                messages.append(try encoder.encode(json, as: descriptor.inputType))
            } catch {
                throw ValidationError("\(source): \(error.message)")
            }
        }
        return messages
    }

    func run() async throws {
        let (host, port) = try common.parsedTarget()
        var configuration = UnaryLoadConfiguration(
            host: host, port: port, method: method, messages: try requestMessages())
        configuration.connections = common.connections
        configuration.concurrency = concurrency
        configuration.requests = requests
        configuration.duration =
            requests == nil ? try common.seconds(common.duration ?? "10s", flag: "--duration") : nil
        configuration.warmup = try common.seconds(common.warmup, flag: "--warmup")
        if let text = rate ?? rateSchedule {
            configuration.rate = try RateSchedule.parse(text, duration: configuration.duration ?? 10)
        }
        configuration.timeout = .nanoseconds(Int64((DurationText.seconds(timeout) ?? 10) * 1e9))
        if let loops = common.loops { configuration.loops = loops }
        configuration.progress = common.progressPrinter
        try common.finish(try await UnaryLoad.run(configuration))
    }
}
