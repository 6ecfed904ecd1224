import Foundation
import PulseIO
import PulseMarketData
import PulseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `Tests/interop/fake_lambda_runtime.py` (Python's standard library only) on a free loopback port.
final class FakeRuntimeAPI: Sendable {
    let pid: pid_t
    let port: Int
    let directory: String

    init(maxResponse: Int? = nil) async throws {
        directory = NSTemporaryDirectory() + "pulse-fake-runtime-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let portFile = directory + "/port"
        let script = ProjectScript.repository.appendingPathComponent("Tests/interop/fake_lambda_runtime.py").path
        var command = ["/usr/bin/env", "python3", script, "--port", "0", "--port-file", portFile]
        if let maxResponse { command += ["--max-response", String(maxResponse)] }
        (pid, port) = try await ProjectScript.spawnListening(command, portFile: portFile)
    }

    var address: String { "127.0.0.1:\(port)" }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        try? FileManager.default.removeItem(atPath: directory)
    }

    func enqueue(
        _ id: String, payload: String, deadlineInMs: Int = 60_000, trace: String? = nil, http: HTTPClient
    ) async throws {
        var members = [
            JSONMember(name: "id", value: .string(id)), JSONMember(name: "payload", value: .string(payload)),
            JSONMember(name: "deadline_in_ms", value: .number(Double(deadlineInMs))),
        ]
        if let trace { members.append(JSONMember(name: "trace", value: .string(trace))) }
        let response = try await http.post(
            "http://\(address)/__enqueue", body: Array(JSONValue.object(members).json.utf8))
        precondition(response.status == 200)
    }

    struct Outcome: Equatable {
        var id: String?
        var kind: String
        var body: JSONValue
        var errorType: String?
    }

    /// Waits (up to 60 s) until `count` outcomes were posted; returns every one so far.
    func outcomes(count: Int, http: HTTPClient) async throws -> [Outcome] {
        let response = try await http.get(
            "http://\(address)/__results?count=\(count)&wait=60", timeout: .seconds(90))
        guard case .array(let list) = try JSONValue.parse(response.body) else { return [] }
        return try list.map { item in
            Outcome(
                id: item["id"]?.string, kind: item["kind"]?.string ?? "",
                body: try JSONValue.parse(Array((item["body"]?.string ?? "").utf8)),
                errorType: item["error_type"]?.string)
        }
    }

    static func with<T>(maxResponse: Int? = nil, _ body: (FakeRuntimeAPI, HTTPClient) async throws -> T)
        async throws -> T
    {
        let fake = try await FakeRuntimeAPI(maxResponse: maxResponse)
        defer { fake.stop() }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        let http = try HTTPClient(loop: loop)
        do {
            let result = try await body(fake, http)
            await http.close()
            return result
        } catch {
            await http.close()
            throw error
        }
    }
}
