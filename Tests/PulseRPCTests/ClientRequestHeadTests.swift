import PulseProtocol
import Testing

@testable import PulseRPC

@Suite("Prebuilt request head")
struct ClientRequestHeadTests {
    @Test(arguments: [nil, Duration.milliseconds(250), .seconds(10)])
    func matchesTheHeaderBlockFieldForField(timeout: Duration?) {
        let request = ClientRequest(
            path: "/pulse.v1.Diagnostics/Echo", body: [0, 0, 0, 0, 0],
            metadata: [HTTP2HeaderField(name: "x-trace-bin", value: "AQID")], timeout: timeout)
        #expect(request.head.headerFields(authority: "h:1") == request.headerBlock(authority: "h:1"))
    }

    @Test func followsChangesToTheRequest() {
        var request = ClientRequest(path: "/a.B/C", body: [])
        request.path = "/a.B/D"
        request.timeout = .seconds(3)
        request.metadata = [HTTP2HeaderField(name: "x-user", value: "ann")]
        #expect(request.head.headerFields(authority: "[::1]:80") == request.headerBlock(authority: "[::1]:80"))
    }

    @Test func sendsTheSameBytesAsTheHeaderBlock() throws {
        let request = ClientRequest(path: "/pulse.v1.Diagnostics/Echo", body: [0, 0, 0, 0, 0], timeout: .seconds(5))
        let viaBlock = try HTTP2ClientSession()
        let viaHead = try HTTP2ClientSession()
        _ = try viaBlock.submitRequest(headers: request.headerBlock(authority: "x:1"), body: request.body)
        let authority = Array("x:1".utf8)
        _ = try authority.withUnsafeBufferPointer { authority in
            try viaHead.submitRequest(head: request.head, authority: authority, body: request.body)
        }
        var blockBytes: [UInt8] = []
        var headBytes: [UInt8] = []
        try viaBlock.drainOutput(into: &blockBytes)
        try viaHead.drainOutput(into: &headBytes)
        #expect(headBytes == blockBytes)
    }
}

@Suite("Client stream table")
struct ClientStreamTableTests {
    @Test func findsInsertsAndRemovesLikeADictionary() {
        var table = ClientStreamTable<Int>(capacity: 8)
        var reference: [Int32: Int] = [:]
        var next: Int32 = 1
        var live: [Int32] = []
        // A long-lived stream first, then many short ones with a changing number in flight.
        table[next] = -1
        reference[next] = -1
        next += 2
        for step in 0..<5_000 {
            let inFlight = step % 700 < 350 ? 40 : 3
            while live.count < inFlight {
                table[next] = Int(next)
                reference[next] = Int(next)
                live.append(next)
                next += 2
            }
            let done = live.removeFirst()
            #expect(table.remove(done) == reference.removeValue(forKey: done))
            #expect(table[done] == nil)
        }
        #expect(table.count == reference.count)
        #expect(table[1] == -1)
        for id in live { #expect(table[id] == Int(id)) }
        #expect(table.values.sorted() == reference.values.sorted())
        table.removeAll()
        #expect(table.isEmpty && table[1] == nil)
    }
}
