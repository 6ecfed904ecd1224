import Foundation
import PulseIO
import PulseTestSupport
import Testing

@testable import PulseMarketData

@Suite("HTTPClient (libcurl multi on the loop)")
struct HTTPClientTests {
    @Test("GET sends the headers and returns status, headers and body")
    func getEcho() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let response = try await http.get(fake.root + "/echo?x=1", headers: [HTTPHeader("X-Test", "yes")])
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let echo = try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
            #expect(echo["path"] as? String == "/echo?x=1")
            #expect((echo["headers"] as? [String: String])?["X-Test"] == "yes")
        }
    }

    @Test("POST sends its body byte for byte")
    func postBody() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let body = Array("Action=SendMessage&MessageBody=h%C3%A9llo".utf8) + [UInt8](repeating: 0x61, count: 5000)
            let response = try await http.post(
                fake.root + "/post", headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")],
                body: body)
            let echo = try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
            #expect(echo["body"] as? String == String(decoding: body, as: UTF8.self))
            #expect((echo["headers"] as? [String: String])?["Content-Length"] == String(body.count))
        }
    }

    @Test("Any status is a response, not an error")
    func statuses() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let unavailable = try await http.get(fake.root + "/status?code=503")
            let missing = try await http.get(fake.root + "/nothing-here")
            #expect(unavailable.status == 503 && missing.status == 404)
        }
    }

    @Test("Many transfers at once on one loop")
    func concurrent() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<40 { group.addTask { try await http.get(fake.root + "/echo?i=\(i)").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 40 && statuses.allSatisfy { $0 == 200 })
            #expect(await http.activeTransfers() == 0)
        }
    }

    @Test("A slow server times out with .timeout")
    func timeout() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let started = ContinuousClock.now
            do {
                _ = try await http.get(fake.root + "/slow?seconds=30", timeout: .milliseconds(300))
                Issue.record("expected a timeout")
            } catch let error as HTTPError {
                #expect(error.code == .timeout)
            }
            // The server would answer after 30 s: anything well below that is the timeout's doing, even on a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(25))
        }
    }

    @Test("A refused connection is .connect, and its message has no API key")
    func refusedAndRedacted() async throws {
        let port = try TestRedis.freePort()
        try await withHTTPClient { http in
            do {
                _ = try await http.get("http://127.0.0.1:\(port)/query?function=X&apikey=SECRET123")
                Issue.record("expected a failure")
            } catch let error as HTTPError {
                #expect(error.code == .connect)
                #expect(!error.description.contains("SECRET123"))
                #expect(error.description.contains("apikey=REDACTED"))
            }
        }
    }

    @Test("Cancelling the task stops the transfer")
    func cancellation() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let task = Task { try await http.get(fake.root + "/slow?seconds=10") }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("the transfer finished")
            } catch let error as HTTPError {
                #expect(error.code == .cancelled)
            }
            #expect(await http.activeTransfers() == 0)
        }
    }

    @Test("A body over the limit fails with .responseTooLarge; the client keeps working")
    func tooLarge() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.maximumResponseBytes = 10_000
        let fake = try await FakeAlphaVantage()
        defer { fake.stop() }
        try await withHTTPClient(configuration: configuration) { http in
            do {
                _ = try await http.get(
                    fake.baseURL + "?function=TIME_SERIES_DAILY&symbol=SPLT&outputsize=full&apikey=K")
                Issue.record("a 40 kB body passed a 10 kB limit")
            } catch let error as HTTPError {
                #expect(error.code == .responseTooLarge)
                #expect(!error.description.contains("apikey=K"))
            }
            let small = try await http.get(fake.root + "/echo")
            #expect(small.status == 200)
        }
    }

    @Test("A client dropped without close() hands its multi handle back to the loop")
    func droppedWithoutClose() async throws {
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        try await FakeAlphaVantage.with { fake, _ in
            var http: HTTPClient? = try HTTPClient(loop: loop)
            #expect(try await http?.get(fake.root + "/echo").status == 200)
            http = nil
            let next = try HTTPClient(loop: loop)
            #expect(try await next.get(fake.root + "/echo").status == 200)
            await next.close()
        }
    }

    @Test(
        "Secrets in URLs are redacted",
        arguments: [
            ("https://h/q?function=A&apikey=K1&symbol=IBM", "https://h/q?function=A&apikey=REDACTED&symbol=IBM"),
            ("https://u:pw@h/p?APIKEY=K", "https://h/p?APIKEY=REDACTED"),
            (
                "https://h/p?X-Amz-Signature=abc&X-Amz-Security-Token=t#f",
                "https://h/p?X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED#f"
            ),
            ("http://h/plain", "http://h/plain"),
        ])
    func redaction(input: String, expected: String) {
        #expect(URLRedaction.redact(input) == expected)
    }
}
