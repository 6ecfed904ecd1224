import PulseProtocol
import Testing

@testable import PulseRPC

@Suite("Client request header block")
struct ClientRequestTests {
    private func value(_ name: String, in fields: [HTTP2HeaderField]) -> String? {
        fields.first { $0.name == name }?.value
    }

    @Test func carriesTheGRPCRequestHeadersInOrder() {
        let fields = ClientRequest(path: "/pulse.v1.Diagnostics/Echo", body: []).headerBlock(authority: "h:1")
        // Pseudo-headers first (RFC 9113 §8.3), then gRPC's required fields.
        #expect(fields.prefix(4).map(\.name) == [":method", ":scheme", ":path", ":authority"])
        #expect(value(":method", in: fields) == "POST")
        #expect(value(":path", in: fields) == "/pulse.v1.Diagnostics/Echo")
        #expect(value(":authority", in: fields) == "h:1")
        #expect(value("content-type", in: fields) == "application/grpc")
        #expect(value("te", in: fields) == "trailers")
        #expect(value("grpc-timeout", in: fields) == nil)
    }

    @Test(arguments: [Duration.milliseconds(250), .seconds(3), .microseconds(1500), .seconds(86_400)])
    func sendsTheDeadlineAsGRPCTimeout(timeout: Duration) throws {
        let fields = ClientRequest(path: "/a.B/C", body: [], timeout: timeout).headerBlock(authority: "h:1")
        let header = try #require(value("grpc-timeout", in: fields))
        #expect(header.count <= 9)  // at most 8 digits and a unit
        let parsed = try #require(GRPCTimeout(headerValue: header))
        // A coarser unit may round; never by more than one unit of what was asked.
        let difference = abs((parsed.duration - timeout) / .nanoseconds(1))
        #expect(difference <= timeout / .nanoseconds(1) / 1_000 + 1)
    }

    @Test func metadataFollowsTheRequiredFields() {
        let request = ClientRequest(
            path: "/a.B/C", body: [], metadata: [HTTP2HeaderField(name: "x-trace-bin", value: "AQID")])
        let fields = request.headerBlock(authority: "h:1")
        #expect(fields.last == HTTP2HeaderField(name: "x-trace-bin", value: "AQID"))
    }
}
