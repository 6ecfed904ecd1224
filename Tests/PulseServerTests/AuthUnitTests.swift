import PulseProtocol
import Testing

@testable import PulseServer

@Suite("API keys: key text, scopes, loopback, token bucket, status details")
struct AuthUnitTests {
    @Test func keysAreRandomWellFormedAndHashedWithSHA256() {
        let first = APIKeySecret.generate()
        let second = APIKeySecret.generate()
        #expect(first != second)
        #expect(APIKeySecret.isWellFormed(first) && first.hasPrefix("pt_") && first.utf8.count == 67)
        #expect(APIKeySecret.prefix(first) == String(first.prefix(11)))
        // hashlib.sha256(b"pt_" + b"ab" * 32).hexdigest(), computed by Python.
        let hex = APIKeySecret.hash("pt_" + String(repeating: "ab", count: 32)).map { String(format2: $0) }.joined()
        #expect(hex == "1329e0b3554a1c9830b4da7074a51b0b09271a6cd91da540e626d3cbb7aada5e")
        for bad in ["", "pt_", "pt_" + String(repeating: "A", count: 64), "xx_" + String(repeating: "a", count: 64)] {
            #expect(!APIKeySecret.isWellFormed(bad))
        }
    }

    @Test(
        arguments: [
            ("/grpc.health.v1.Health/Check", nil), ("/pulse.v1.Quotes/GetQuote", "read"),
            ("/pulse.v1.Quotes/Subscribe", "read"), ("/pulse.v1.Quotes/LoadSymbol", "load"),
            ("/pulse.v1.Indicators/Compute", "read"), ("/pulse.v1.Backtests/Optimize", "backtest"),
            ("/pulse.v1.Diagnostics/Echo", "admin"), ("/pulse.v1.Future/Anything", "admin"),
        ] as [(String, String?)])
    func everyMethodHasItsScope(path: String, scope: String?) {
        let parts = path.split(separator: "/")
        let method = GRPCMethod(service: String(parts[0]), name: String(parts[1]), kind: .unary)
        #expect(APIKeyScope.required(for: method)?.rawValue == scope)
    }

    @Test func scopeListsParseAndExplainMistakes() throws {
        #expect(try APIKeyScope.parseList(" backtest,read,read ") == [.read, .backtest])
        #expect(throws: APIKeyError.self) { try APIKeyScope.parseList("read,write") }
        #expect(throws: APIKeyError.self) { try APIKeyScope.parseList("") }
    }

    @Test func authIsOnOffLoopbackByDefault() {
        var settings = AuthSettings()
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] { #expect(!settings.isEnabled(host: host)) }
        for host in ["0.0.0.0", "10.0.0.5", "::", "example.com", "127.0.0.1.example"] {
            #expect(settings.isEnabled(host: host))
        }
        settings.mode = .on
        #expect(settings.isEnabled(host: "127.0.0.1"))
    }

    @Test func tokenBucketArithmetic() {
        var bucket = TokenBucket(rate: 10, burst: 5, full: true, now: 0)
        var taken = 0
        while bucket.take() { taken += 1 }
        #expect(taken == 5)
        #expect(bucket.millisecondsUntilToken() == 100)  // one token at 10 per second
        bucket.refill(now: 250_000_000)  // 2.5 tokens earned
        taken = 0
        while bucket.take() { taken += 1 }
        #expect(taken == 2)
        #expect(bucket.millisecondsUntilToken() == 50)
        bucket.refill(now: 60_000_000_000)
        #expect(bucket.tokens == 5)  // never above the depth
        var leased = TokenBucket(rate: 100, burst: 0, full: false, now: 0)
        let tookFromEmpty = leased.take()
        #expect(leased.capacity == 100 && !tookFromEmpty)
        leased.add(1000)
        #expect(leased.tokens == 100)
    }

    @Test func retryInfoDetailsMatchGoogleapisEncoding() throws {
        let status = GRPCStatus(.resourceExhausted, "over the rate")
        let bytes = status.detailsWithRetryInfo(retryAfterMs: 1500)
        // google.rpc.Status with a packed RetryInfo{retry_delay: 1.5s}, serialised by googleapis-common-protos.
        let expected =
            "0808120d6f7665722074686520726174651a360a28747970652e676f6f676c65617069732e636f6d2f676f6f676c652e7270632e5265747279496e666f120a0a0808011080cab5ee01"
        #expect(bytes.map { String(format2: $0) }.joined() == expected)
        let decoded = try GoogleRPC.Status(serializedBytes: bytes)
        let retry = try GoogleRPC.RetryInfo(serializedBytes: decoded.details[0].value)
        #expect(retry.retryDelay == GoogleRPC.Duration(seconds: 1, nanos: 500_000_000))
    }
}

extension String {
    /// Two lower-case hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
