import Foundation
import PulseIO
import PulseMarketData
import PulseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The project's fake Alpha Vantage (`Tests/interop/fake_alphavantage.py`, Python's standard library only) on a
/// free loopback port, for one test. A missing `python3` fails the test.
final class FakeAlphaVantage: Sendable {
    let pid: pid_t
    let port: Int
    let directory: String

    init() async throws {
        directory = NSTemporaryDirectory() + "pulse-fake-av-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let portFile = directory + "/port"
        let script = ProjectScript.repository.appendingPathComponent("Tests/interop/fake_alphavantage.py").path
        (pid, port) = try await ProjectScript.spawnListening(
            ["/usr/bin/env", "python3", script, "--port", "0", "--port-file", portFile], portFile: portFile)
    }

    var baseURL: String { "http://127.0.0.1:\(port)/query" }
    var root: String { "http://127.0.0.1:\(port)" }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Requests the fake answered on /query, from its /__stats.
    func requestCount(symbol: String? = nil, http: HTTPClient) async throws -> Int {
        let data = Data(try await http.get(root + "/__stats").body)
        let stats = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        if let symbol { return (stats["by_symbol"] as! [String: Int])[symbol] ?? 0 }
        return stats["requests"] as! Int
    }

    /// Runs `body` with a started fake and an HTTP client on a fresh loop, then stops both.
    static func with<T>(_ body: (FakeAlphaVantage, HTTPClient) async throws -> T) async throws -> T {
        let fake = try await FakeAlphaVantage()
        defer { fake.stop() }
        return try await withHTTPClient { http in try await body(fake, http) }
    }
}

/// Runs `body` with an HTTP client on a fresh loop, then closes it and stops the loop.
func withHTTPClient<T>(
    configuration: HTTPClient.Configuration = HTTPClient.Configuration(), _ body: (HTTPClient) async throws -> T
) async throws -> T {
    let loop = try EventLoop(index: 0)
    defer {
        loop.stop()
        loop.join()
    }
    let http = try HTTPClient(loop: loop, configuration: configuration)
    do {
        let result = try await body(http)
        await http.close()
        return result
    } catch {
        await http.close()
        throw error
    }
}
