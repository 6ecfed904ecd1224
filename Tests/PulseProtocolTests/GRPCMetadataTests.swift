import Testing

@testable import PulseProtocol

@Suite("gRPC status, timeout, grpc-message and -bin metadata")
struct GRPCMetadataTests {
    @Test("status codes have the spec's numbers and names")
    func statusCodes() {
        let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]
        #expect(GRPCStatus.Code.allCases.map(\.name) == names)
        #expect(GRPCStatus.Code.allCases.map(\.rawValue) == Array(0...16))
        #expect(GRPCStatus.Code.resourceExhausted.rawValue == 8)
        #expect(GRPCStatus.Code.unimplemented.rawValue == 12)
        #expect(GRPCStatus.Code(rawValue: 17) == nil)
        #expect(GRPCStatus.Code(headerValue: "4") == .deadlineExceeded)
        #expect(GRPCStatus.Code(headerValue: "99") == .unknown)
        #expect(GRPCStatus.Code(headerValue: "x") == .unknown)
        #expect(GRPCStatus(.notFound, "no AAPL").description == "NOT_FOUND (5): no AAPL")
    }

    @Test(
        "grpc-timeout parses every unit",
        arguments: [
            ("1H", Int64(3_600_000_000_000)), ("2M", 120_000_000_000), ("5S", 5_000_000_000), ("100m", 100_000_000),
            ("7u", 7_000), ("10n", 10), ("00000001S", 1_000_000_000), ("99999999n", 99_999_999),
            ("99999999H", Int64.max),
        ])
    func timeoutParse(header: String, nanoseconds: Int64) {
        #expect(GRPCTimeout(headerValue: header)?.nanoseconds == nanoseconds)
    }

    @Test(
        "invalid grpc-timeout values are rejected",
        arguments: ["", "m", "5", "123456789m", "1x", "-1m", "1.5S", " 1S", "1 S", "１S"])
    func timeoutInvalid(header: String) {
        #expect(GRPCTimeout(headerValue: header) == nil)
    }

    @Test(
        "grpc-timeout formatting fits 8 digits and never shortens the deadline",
        arguments: [
            Int64(0), 1, 999, 99_999_999, 100_000_000, 1_000_000_001, 3_600_000_000_000, 86_400_000_000_000_123,
        ])
    func timeoutFormat(nanoseconds: Int64) throws {
        let header = GRPCTimeout(nanoseconds: nanoseconds).headerValue
        #expect(header.count <= 9)
        let parsed = try #require(GRPCTimeout(headerValue: header))
        #expect(parsed.nanoseconds >= nanoseconds)
    }

    @Test("durations convert to timeouts")
    func timeoutDuration() {
        #expect(GRPCTimeout(.milliseconds(250)).nanoseconds == 250_000_000)
        #expect(GRPCTimeout(.milliseconds(250)).headerValue == "250000u")
        #expect(GRPCTimeout(nanoseconds: -5).nanoseconds == 0)
    }

    @Test(
        "grpc-message percent-encoding",
        arguments: [
            ("plain text", "plain text"), ("50% off", "50%25 off"), ("a\nb", "a%0Ab"), ("Zürich", "Z%C3%BCrich"),
            ("\u{7F}~", "%7F~"), ("", ""),
        ])
    func percentEncoding(raw: String, encoded: String) {
        #expect(GRPCMessageEncoding.percentEncode(raw) == encoded)
        #expect(GRPCMessageEncoding.percentDecode(encoded) == raw)
    }

    @Test("malformed percent sequences are kept as they are")
    func percentLenient() {
        #expect(GRPCMessageEncoding.percentDecode("100%") == "100%")
        #expect(GRPCMessageEncoding.percentDecode("%zz%4") == "%zz%4")
        #expect(GRPCMessageEncoding.percentDecode("%ff") == "\u{FFFD}")
    }

    @Test(
        "base64 matches RFC 4648's vectors, unpadded when sent",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ])
    func base64(raw: String, encoded: String) {
        #expect(Base64.encode(Array(raw.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(raw.utf8))
        let padded = encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
        #expect(Base64.encode(Array(raw.utf8), padded: true) == padded)
        #expect(Base64.decode(padded) == Array(raw.utf8))
    }

    @Test("base64 round-trips every byte value and rejects garbage")
    func base64Binary() {
        let all = (0...255).map(UInt8.init)
        #expect(Base64.decode(Base64.encode(all)) == all)
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8")
        #expect(Base64.decode("Z") == nil)
        #expect(Base64.decode("Zm9v!") == nil)
        #expect(Base64.decode("Zm=v") == nil)
        #expect(Base64.decode("Zg===") == nil)
    }

    @Test("the method table knows every path and its kind")
    func methodTable() {
        #expect(PulseMethods.all.count == 18)
        #expect(Set(PulseMethods.all.map(\.path)).count == 18)
        #expect(PulseMethods.method(forPath: "/pulse.v1.Quotes/GetSessions")?.kind == .unary)
        #expect(PulseMethods.method(forPath: "/pulse.v1.Quotes/GetQuote")?.kind == .unary)
        #expect(PulseMethods.method(forPath: "/pulse.v1.Quotes/Subscribe")?.kind == .serverStreaming)
        #expect(PulseMethods.method(forPath: "/grpc.health.v1.Health/Watch") == PulseMethods.Health.watch.descriptor)
        #expect(PulseMethods.method(forPath: "/pulse.v1.Diagnostics/Echo") == PulseMethods.Diagnostics.echo.descriptor)
        #expect(PulseMethods.method(forPath: "/pulse.v1.Quotes/Nope") == nil)
        #expect(PulseMethods.method(forPath: "pulse.v1.Quotes/GetQuote") == nil)
    }

    @Test("typed descriptors carry their kind and path; the method table lists them untyped")
    func typedDescriptors() {
        #expect(PulseMethods.Health.check.descriptor.kind == .unary)
        #expect(PulseMethods.Health.watch.descriptor.kind == .serverStreaming)
        #expect(PulseMethods.Quotes.getBars.path == "/pulse.v1.Quotes/GetBars")
        #expect(PulseMethods.Backtests.optimize.descriptor.kind == .serverStreaming)
        // The message types are part of the descriptor's type: pairing it with others does not compile.
        let check: UnaryMethod<HealthCheckRequest, HealthCheckResponse> = PulseMethods.Health.check
        #expect(PulseMethods.method(forPath: check.path) == check.descriptor)
    }
}
