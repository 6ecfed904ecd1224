import PulseProtocol
import PulseRPC
import Testing

@testable import PulseRPC

@Suite("Request head validation (no sockets)")
struct ServerRequestHeadTests {
    struct Probe: RPCService {
        let serviceName = "t.S"
        var methods: [RPCMethodDefinition] {
            [
                RPCMethodDefinition(
                    method: GRPCMethod(service: "t.S", name: "M", kind: .unary),
                    handler: .unary { body, _ in ResponseMessage(body: body) })
            ]
        }
    }

    static let router = MethodRouter(services: [Probe()])

    static func head(_ fields: [(String, String)], limit: Int = 8192) -> RequestHead {
        var head = RequestHead(maxHeaderListSize: limit)
        for (name, value) in fields {
            let nameBytes = Array(name.utf8)
            let valueBytes = Array(value.utf8)
            nameBytes.withUnsafeBytes { n in
                valueBytes.withUnsafeBytes { v in _ = head.add(name: n, value: v, router: router) }
            }
        }
        return head
    }

    static let good: [(String, String)] = [
        (":method", "POST"), (":path", "/t.S/M"), ("content-type", "application/grpc"), ("te", "trailers"),
    ]

    static func replacing(_ name: String, with value: String?) -> [(String, String)] {
        var fields = good.filter { $0.0 != name }
        if let value { fields.append((name, value)) }
        return fields
    }

    @Test("a well-formed request is accepted with its route")
    func accepted() {
        #expect(Self.head(Self.good).verdict() == .accept(routeIndex: 0))
    }

    @Test(
        "HTTP-level rejections",
        arguments: [
            (":method", "GET", 405), (":method", nil, 400), ("content-type", "text/plain", 415),
            ("content-type", nil, 415), ("content-type", "application/grpcweb", 415),
        ] as [(String, String?, Int)])
    func httpRejections(name: String, value: String?, status: Int) {
        guard case .rejectHTTP(let got, _) = Self.head(Self.replacing(name, with: value)).verdict() else {
            Issue.record("expected an HTTP rejection")
            return
        }
        #expect(got == status)
    }

    @Test(
        "gRPC-level rejections",
        arguments: [
            ("te", nil, GRPCStatus.Code.internal), ("te", "gzip", .internal), (":path", "/t.S/Other", .unimplemented),
            ("grpc-timeout", "10x", .internal), ("grpc-timeout", "123456789S", .internal),
            ("x-key-bin", "!!!", .internal),
        ] as [(String, String?, GRPCStatus.Code)])
    func grpcRejections(name: String, value: String?, code: GRPCStatus.Code) {
        guard case .rejectGRPC(let status) = Self.head(Self.replacing(name, with: value)).verdict() else {
            Issue.record("expected a gRPC rejection")
            return
        }
        #expect(status.code == code)
    }

    @Test("grpc-timeout is parsed; metadata keeps custom keys and decodes -bin")
    func timeoutAndMetadata() {
        let head = Self.head(Self.good + [("grpc-timeout", "250m"), ("x-id", "7"), ("x-raw-bin", "AQI")])
        #expect(head.timeout?.nanoseconds == 250_000_000)
        #expect(head.metadata["x-id"] == "7")
        #expect(head.metadata.binary("x-raw-bin") == [1, 2])
        #expect(head.metadata.count == 2)
    }

    @Test("the header list limit counts name + value + 32 per field and turns into 431")
    func headerListLimit() {
        // 4 good fields: (7+4) + (5+6) + (12+16) + (2+8) + 4 × 32 = 188 bytes.
        #expect(Self.head(Self.good, limit: 188).verdict() == .accept(routeIndex: 0))
        guard case .rejectHTTP(431, _) = Self.head(Self.good, limit: 187).verdict() else {
            Issue.record("expected 431")
            return
        }
    }
}
