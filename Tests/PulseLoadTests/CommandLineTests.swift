import Foundation
import Testing

@testable import PulseLoad

@Suite("The command line: bad flags, reports, comparison", .serialized)
struct CommandLineTests {
    @Test(
        "bad flags exit 2",
        arguments: [
            ["unary", "--method", "/pulse.v1.Diagnostics/Echo"],  // no --target
            ["unary", "--target", "localhost", "--method", "/pulse.v1.Diagnostics/Echo"],
            ["unary", "--target", "127.0.0.1:99999", "--method", "/pulse.v1.Diagnostics/Echo"],
            ["unary", "--target", "127.0.0.1:1", "--method", "Echo"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--duration", "soon"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--concurrency", "0"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--rate", "step:1"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--bogus"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Nope"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Stream"],
            ["unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--data", "{\"x\":1}"],
            [
                "unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--requests", "5",
                "--duration", "1s",
            ],
            ["subscribe", "--target", "127.0.0.1:1", "--symbols", ","],
            ["unary", "--target", "127.0.0.1:1", "--mix", "/pulse.v1.Diagnostics/Echo=x"],
            ["unary", "--target", "127.0.0.1:1", "--mix", "/pulse.v1.Diagnostics/Echo=1", "--method", "/a.B/C"],
            ["unary", "--target", "127.0.0.1:1", "--scenario", "/nonexistent.json"],
            ["frobnicate"],
        ])
    func badFlags(_ arguments: [String]) async {
        let withProto = arguments + (arguments.count > 1 ? ["--proto-path", protocolDirectory] : [])
        #expect(await PulseLoadCommand.run(withProto) == 2, "\(arguments)")
    }

    @Test("an unreachable server exits 1 quickly")
    func unreachable() async {
        let code = await PulseLoadCommand.run([
            "unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo", "--proto-path",
            protocolDirectory, "--quiet",
        ])
        #expect(code == 1)
    }

    @Test("a run writes the JSON report; --compare reads it back")
    func jsonReport() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-load-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("report.json").path
        try await withTestServer { port, _ in
            let arguments = [
                "unary", "--target", "127.0.0.1:\(port)", "--method", "/pulse.v1.Diagnostics/Echo",
                "--data", #"{"payload":"cGluZw==","delayMs":2}"#, "--connections", "2", "--concurrency", "4",
                "--duration", "300ms", "--rate", "200", "--json", path, "--proto-path", protocolDirectory, "--quiet",
            ]
            #expect(await PulseLoadCommand.run(arguments) == 0)
            let report = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
            for key in ["rps", "requests", "errors", "latency_ms"] { #expect(report[key] != nil, "\(key)") }
            for key in ["p50", "p90", "p99", "p999", "max"] {
                #expect(report["latency_ms"]?[key]?.doubleValue != nil, "\(key)")
                #expect(report["latency_ms"]?["uncorrected"]?[key]?.doubleValue != nil, "uncorrected \(key)")
            }
            #expect(report["partial"] == .bool(false))
            #expect(report["mode"] == .string("open"))
            let comparison = try ReportComparison.load(path).compare(with: report)
            #expect(comparison.contains("rps") && comparison.contains("p99.9 ms") && comparison.contains("0.0%"))
            #expect(await PulseLoadCommand.run(arguments + ["--compare", path]) == 0)
        }
    }

    @Test("a scenario file: weighted calls with their own JSON or raw bytes")
    func scenarioFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(getpid()).json").path
        try #"""
        [{"method": "/pulse.v1.Diagnostics/Echo", "weight": 2, "data": {"payload": "cGluZw=="}},
         {"method": "/pulse.v1.Diagnostics/Echo", "data_bin": "CgJoaQ=="},
         {"method": "/grpc.health.v1.Health/Check"}]
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withTestServer { port, _ in
            let code = await PulseLoadCommand.run([
                "unary", "--target", "127.0.0.1:\(port)", "--scenario", path, "--requests", "40", "--quiet",
                "--proto-path", protocolDirectory,
            ])
            #expect(code == 0)
        }
        let command = try PulseLoadCommand.parseAsRoot([
            "unary", "--target", "h:1", "--scenario", path, "--proto-path", protocolDirectory,
        ])
        let calls = try #require(command as? UnaryCommand).requestCalls()
        #expect(calls.map(\.weight) == [2, 1, 1])
        #expect(calls[1].message == [0x0A, 0x02, 0x68, 0x69])
        #expect(calls[2].method == "/grpc.health.v1.Health/Check")
    }

    @Test("--data-file: one JSON request per line, blank lines skipped, a bad line named; --data-bin: raw bytes")
    func dataFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-load-data-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.jsonl").path
        let bad = directory.appendingPathComponent("bad.jsonl").path
        let raw = directory.appendingPathComponent("echo.bin").path
        try "{\"payload\":\"AQ==\"}\n\n{\"delayMs\":3}\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "{}\n{\"delay\":3}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try Data([0x0A, 0x01, 0x07]).write(to: URL(fileURLWithPath: raw))
        func calls(_ flags: [String]) throws -> [UnaryCall] {
            let command = try PulseLoadCommand.parseAsRoot(
                [
                    "unary", "--target", "h:1", "--method", "/pulse.v1.Diagnostics/Echo", "--proto-path",
                    protocolDirectory,
                ]
                    + flags)
            return try #require(command as? UnaryCommand).requestCalls()
        }
        #expect(try calls(["--data-file", good]).map(\.message) == [[0x0A, 0x01, 0x01], [0x10, 0x03]])
        #expect(try calls(["--data-bin", raw]).map(\.message) == [[0x0A, 0x01, 0x07]])
        do {
            _ = try calls(["--data-file", bad])
            Issue.record("a bad line was accepted")
        } catch {
            #expect("\(error)".contains("bad.jsonl:2"), "\(error)")
        }
    }

    @Test("comparison says which way each figure moved")
    func comparison() throws {
        let before = try JSONParser.parse(#"{"rps":1000,"requests":10000,"errors":{},"latency_ms":{"p50":1,"p99":4}}"#)
        let after = try JSONParser.parse(
            #"{"rps":1100,"requests":11000,"errors":{"UNAVAILABLE":2},"latency_ms":{"p50":0.5,"p99":5}}"#)
        let text = ReportComparison(json: before, source: "old.json").compare(with: after)
        #expect(text.contains("+10.0%  better"))
        #expect(text.contains("-50.0%  better"))
        #expect(text.contains("+25.0%  worse"))
        #expect(text.contains("errors"))
    }

    @Test("durations on the command line", arguments: [("10s", 10.0), ("500ms", 0.5), ("2m", 120.0), ("1.5", 1.5)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }
}
