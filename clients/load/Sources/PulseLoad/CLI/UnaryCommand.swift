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
    var method: String?

    @Option(help: "A weighted mix of methods with empty requests: /a.S/M=3,/b.S/N=1.")
    var mix: String?

    @Option(
        help: """
            A JSON file of weighted calls: [{"method": "/a.S/M", "weight": 3, "data": {…}}, …] \
            ("data" is protobuf JSON, default {}; "data_bin" raw protobuf as base64 instead).
            """)
    var scenario: String?

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
        guard [method, mix, scenario].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give one of --method, --mix and --scenario")
        }
        if let method { try Self.checkPath(method, flag: "--method") }
        if let mix { _ = try Self.parseMix(mix) }
        if [data, dataFile, dataBin].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --data, --data-file and --data-bin")
        }
        if method == nil, [data, dataFile, dataBin].contains(where: { $0 != nil }) {
            throw ValidationError("--data, --data-file and --data-bin go with --method (a --scenario has its own data)")
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

    static func checkPath(_ path: String, flag: String) throws {
        guard path.hasPrefix("/"), path.dropFirst().contains("/") else {
            throw ValidationError("\(flag) must be /package.Service/Method, got '\(path)'")
        }
    }

    static func parseMix(_ text: String) throws -> [(String, Int)] {
        try text.split(separator: ",").map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let weight = Int(parts[1]), weight > 0 else {
                throw ValidationError("--mix takes METHOD=WEIGHT,… with weights above 0, got '\(entry)'")
            }
            try checkPath(parts[0], flag: "--mix")
            return (parts[0], weight)
        }
    }

    /// The calls the flags describe.
    func requestCalls() throws -> [UnaryCall] {
        if let method {
            return try requestMessages(method).map { UnaryCall(method: method, message: $0) }
        }
        let schema = try common.loadSchema()
        let encoder = ProtoJSONEncoder(schema: schema)
        var entries: [(method: String, weight: Int, data: JSONValue, raw: [UInt8]?)] = []
        if let mix {
            entries = try Self.parseMix(mix).map { ($0.0, $0.1, JSONValue.object([]), nil) }
        } else if let scenario {
            guard let text = try? String(contentsOfFile: scenario, encoding: .utf8) else {
                throw ValidationError("--scenario: cannot read \(scenario)")
            }
            let parsed: JSONValue
            do {
                parsed = try JSONParser.parse(text)
            } catch {
                throw ValidationError("--scenario \(scenario): \(error.message)")
            }
            guard case .array(let items) = parsed, !items.isEmpty else {
                throw ValidationError("--scenario \(scenario): expected a non-empty JSON array of calls")
            }
            for (index, item) in items.enumerated() {
                guard case .string(let path)? = item["method"] else {
                    throw ValidationError("--scenario \(scenario): call \(index) has no \"method\"")
                }
                try Self.checkPath(path, flag: "--scenario \(scenario): call \(index)")
                let weight = item["weight"].flatMap { $0.doubleValue }.map { Int($0) } ?? 1
                guard weight > 0 else {
                    throw ValidationError("--scenario \(scenario): call \(index): weight must be above 0")
                }
                var raw: [UInt8]?
                if case .string(let base64)? = item["data_bin"] {
                    guard let bytes = Base64Text.decode(base64) else {
                        throw ValidationError("--scenario \(scenario): call \(index): data_bin is not base64")
                    }
                    raw = bytes
                }
                entries.append((path, weight, item["data"] ?? .object([]), raw))
            }
        }
        return try entries.map { entry in
            if let raw = entry.raw { return UnaryCall(method: entry.method, message: raw, weight: entry.weight) }
            let descriptor = try unaryMethod(entry.method, in: schema)
            do {
                let message = try encoder.encode(entry.data, as: descriptor.inputType)
                return UnaryCall(method: entry.method, message: message, weight: entry.weight)
            } catch {
                throw ValidationError("\(entry.method): \(error)")
            }
        }
    }

    func unaryMethod(_ path: String, in schema: ProtoSchema) throws -> MethodDescriptor {
        let descriptor: MethodDescriptor
        do {
            descriptor = try schema.method(path)
        } catch {
            throw ValidationError("--method: \(error.message)")
        }
        guard !descriptor.clientStreaming, !descriptor.serverStreaming else {
            throw ValidationError("--method: \(path) is a streaming method; unary needs a unary one")
        }
        return descriptor
    }

    /// The encoded requests the flags describe for one method.
    func requestMessages(_ method: String) throws -> [[UInt8]] {
        if let dataBin {
            guard let bytes = FileManager.default.contents(atPath: dataBin) else {
                throw ValidationError("--data-bin: cannot read \(dataBin)")
            }
            return [Array(bytes)]
        }
        let schema = try common.loadSchema()
        let descriptor = try unaryMethod(method, in: schema)
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
        var configuration = UnaryLoadConfiguration(host: host, port: port, calls: try requestCalls())
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
        configuration.stopOnInterrupt = true
        try common.finish(try await UnaryLoad.run(configuration))
    }
}
