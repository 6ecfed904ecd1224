import PulseProtocol
import Testing

@testable import PulseRPC

@Suite("gRPC client call state machine")
struct ClientCallMachineTests {
    private let okHead = [
        HTTP2HeaderField(name: ":status", value: "200"), .init(name: "content-type", value: "application/grpc"),
    ]

    private func trailers(_ status: String, _ message: String? = nil) -> [HTTP2HeaderField] {
        [HTTP2HeaderField(name: "grpc-status", value: status)]
            + (message.map { [.init(name: "grpc-message", value: $0)] } ?? [])
    }

    private func framed(_ body: [UInt8]) -> [UInt8] {
        GRPCFraming.frame(body: body)
    }

    @Test func messagesSplitAnywhereAreDeliveredWholeThenOK() {
        var machine = ClientCallMachine()
        #expect(machine.receiveHeaders(okHead, isTrailers: false, endStream: false) == .none)
        let wire = framed([1, 2, 3]) + framed([]) + framed(Array(repeating: 9, count: 300))
        var delivered: [[UInt8]] = []
        for cut in stride(from: 0, to: wire.count, by: 7) {
            if case .deliver(let messages) = machine.receiveData(Array(wire[cut..<min(wire.count, cut + 7)])) {
                delivered += messages
            }
        }
        #expect(delivered == [[1, 2, 3], [], Array(repeating: 9, count: 300)])
        #expect(machine.receiveHeaders(trailers("0"), isTrailers: true, endStream: true) == .finish(.ok))
        #expect(machine.isFinished)
    }

    @Test func trailersOnlyCarriesStatusAndPercentDecodedMessage() {
        var machine = ClientCallMachine()
        let action = machine.receiveHeaders(
            okHead + trailers("9", "caf%C3%A9 100%25 sure"), isTrailers: false, endStream: true)
        #expect(action == .finish(GRPCStatus(.failedPrecondition, "café 100% sure")))
    }

    @Test(arguments: [
        ("404", GRPCStatus.Code.unimplemented), ("503", .unavailable), ("401", .unauthenticated),
        ("400", .internal), ("500", .unknown),
    ])
    func httpErrorsMapToGRPCCodes(httpStatus: String, code: GRPCStatus.Code) {
        var machine = ClientCallMachine()
        let head = [HTTP2HeaderField(name: ":status", value: httpStatus)]
        guard case .abort(let status) = machine.receiveHeaders(head, isTrailers: false, endStream: false) else {
            Issue.record("an HTTP \(httpStatus) response must abort the call")
            return
        }
        #expect(status.code == code)
    }

    @Test func nonGRPCContentTypeIsUnknown() {
        var machine = ClientCallMachine()
        let head = [HTTP2HeaderField(name: ":status", value: "200"), .init(name: "content-type", value: "text/html")]
        #expect(machine.receiveHeaders(head, isTrailers: false, endStream: true).status?.code == .unknown)
    }

    @Test func missingGRPCStatusIsInternal() {
        var machine = ClientCallMachine()
        _ = machine.receiveHeaders(okHead, isTrailers: false, endStream: false)
        #expect(machine.receiveHeaders([], isTrailers: true, endStream: true).status?.code == .internal)
    }

    @Test func oversizedResponseAbortsWithResourceExhaustedBeforeBuffering() {
        var machine = ClientCallMachine(maxMessageSize: 1024)
        _ = machine.receiveHeaders(okHead, isTrailers: false, endStream: false)
        let action = machine.receiveData([0, 0, 0, 8, 0])  // declares 2 KiB, sends nothing of it
        #expect(action.isAbort && action.status?.code == .resourceExhausted)
    }

    @Test func okTrailersInsideAMessageAreInternal() {
        var machine = ClientCallMachine()
        _ = machine.receiveHeaders(okHead, isTrailers: false, endStream: false)
        _ = machine.receiveData([0, 0, 0, 0, 10, 1, 2])
        #expect(machine.receiveHeaders(trailers("0"), isTrailers: true, endStream: true).status?.code == .internal)
    }

    @Test func dataBeforeHeadersAborts() {
        var machine = ClientCallMachine()
        let action = machine.receiveData(framed([1]))
        #expect(action.isAbort && action.status?.code == .internal)
    }

    @Test(arguments: [
        (UInt32(0x7), GRPCStatus.Code.unavailable), (0x8, .cancelled), (0xB, .resourceExhausted), (0x2, .internal),
        (0x0, .internal),
    ])
    func resetsWithoutTrailersMapToCodes(errorCode: UInt32, code: GRPCStatus.Code) {
        var machine = ClientCallMachine()
        _ = machine.receiveHeaders(okHead, isTrailers: false, endStream: false)
        #expect(machine.streamClosed(errorCode: errorCode).status?.code == code)
    }

    @Test func closeAfterTrailersChangesNothing() {
        var machine = ClientCallMachine()
        _ = machine.receiveHeaders(okHead + trailers("0"), isTrailers: false, endStream: true)
        #expect(machine.streamClosed(errorCode: 0x8) == .none)
    }
}

extension ClientCallMachine.Action {
    fileprivate var status: GRPCStatus? {
        switch self {
        case .finish(let status), .abort(let status): return status
        default: return nil
        }
    }

    fileprivate var isAbort: Bool {
        if case .abort = self { return true }
        return false
    }
}
