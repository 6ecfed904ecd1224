import Testing

@testable import PulseRPC

@Suite("Server connection state machine (no sockets)")
struct ServerConnectionMachineTests {
    static let ms: UInt64 = 1_000_000
    static let s: UInt64 = 1_000_000_000
    static let noError = HTTP2ErrorCode.noError
    static let calm = HTTP2ErrorCode.enhanceYourCalm

    static func machine(_ limits: ServerConnectionMachine.Limits = .init()) -> ServerConnectionMachine {
        ServerConnectionMachine(limits: limits, now: 0)
    }

    @Test("a peer that never sends SETTINGS is closed when the handshake timer fires; one that does is not")
    func handshakeTimeout() {
        var silent = Self.machine()
        #expect(silent.handshakeTimerFired() == .close)
        #expect(silent.handshakeTimerFired() == .none)

        var talking = Self.machine()
        let first = talking.settingsReceived()
        let second = talking.settingsReceived()  // later SETTINGS are not a new handshake
        #expect(first && !second)
        #expect(talking.handshakeTimerFired() == .none)
    }

    @Test("idle: checked again while streams are open or time is left, GOAWAY NO_ERROR once idle long enough")
    func idleTimeout() {
        var machine = Self.machine(.init(idleTimeout: 10 * Self.s))
        #expect(machine.idleTimerFired(now: 4 * Self.s, openStreams: 1) == .checkIdleAgain(after: 10 * Self.s))
        #expect(machine.streamClosed(now: 6 * Self.s, openStreams: 0) == .none)
        #expect(machine.idleTimerFired(now: 14 * Self.s, openStreams: 0) == .checkIdleAgain(after: 2 * Self.s))
        #expect(machine.idleTimerFired(now: 16 * Self.s, openStreams: 0) == .terminate(errorCode: Self.noError))
        #expect(machine.idleTimerFired(now: 30 * Self.s, openStreams: 0) == .none)
    }

    @Test("idle timeout off: never idle")
    func idleOff() {
        var machine = Self.machine(.init(idleTimeout: 0))
        #expect(machine.idleTimerFired(now: 1000 * Self.s, openStreams: 0) == .none)
    }

    @Test("glitches past the limit end the session once with ENHANCE_YOUR_CALM")
    func glitchLimit() {
        var machine = Self.machine(.init(maxGlitches: 3))
        for _ in 0..<3 { #expect(machine.glitch() == .none) }
        #expect(machine.glitch() == .terminate(errorCode: Self.calm))
        #expect(machine.glitch() == .none)
        #expect(machine.glitches == 5)
    }

    @Test("a control-frame flood within one window is calmed at once; spread over windows it is not")
    func controlFlood() {
        var flood = Self.machine(.init(maxGlitches: 100, maxControlFramesPerWindow: 5))
        for i in 0..<5 { #expect(flood.controlFrame(now: UInt64(i) * Self.ms) == .none) }
        #expect(flood.controlFrame(now: 6 * Self.ms) == .terminate(errorCode: Self.calm))

        var steady = Self.machine(.init(maxControlFramesPerWindow: 5, controlWindow: 10 * Self.s))
        for i in 0..<50 { #expect(steady.controlFrame(now: UInt64(i) * 3 * Self.s) == .none) }
    }

    @Test("graceful shutdown: notice, GOAWAY after a round trip, end when the last stream closes")
    func gracefulShutdownWithStreams() {
        var machine = Self.machine()
        #expect(machine.beginShutdown() == .sendShutdownNotice)
        #expect(machine.isShuttingDown)
        #expect(machine.beginShutdown() == .none)
        #expect(machine.idleTimerFired(now: 1000 * Self.s, openStreams: 0) == .none)  // shutdown owns the end
        #expect(machine.goAwayDelayPassed(openStreams: 2) == .sendGoAway(thenTerminate: false))
        #expect(machine.streamClosed(now: 1, openStreams: 1) == .none)
        #expect(machine.streamClosed(now: 2, openStreams: 0) == .terminate(errorCode: Self.noError))
        #expect(machine.gracePeriodPassed() == .failOpenCalls)  // harmless: nothing is open
        #expect(machine.hardCloseDue() == .close)
        #expect(machine.hardCloseDue() == .none)
    }

    @Test("graceful shutdown without streams ends with the GOAWAY; a closed connection does nothing more")
    func gracefulShutdownIdle() {
        var machine = Self.machine()
        #expect(machine.beginShutdown() == .sendShutdownNotice)
        #expect(machine.goAwayDelayPassed(openStreams: 0) == .sendGoAway(thenTerminate: true))
        #expect(machine.goAwayDelayPassed(openStreams: 0) == .none)
        machine.closed()
        #expect(machine.gracePeriodPassed() == .none)
        #expect(machine.hardCloseDue() == .none)
        #expect(machine.glitch() == .none)
    }

    @Test("calls still open when the grace period ends are failed, then the socket is closed regardless")
    func graceExpires() {
        var machine = Self.machine()
        _ = machine.beginShutdown()
        _ = machine.goAwayDelayPassed(openStreams: 3)
        #expect(machine.gracePeriodPassed() == .failOpenCalls)
        #expect(machine.hardCloseDue() == .close)
    }

    @Test("a calmed connection does not start a shutdown it cannot finish")
    func calmedThenShutdown() {
        var machine = Self.machine(.init(maxGlitches: 0))
        #expect(machine.glitch() == .terminate(errorCode: Self.calm))
        #expect(machine.beginShutdown() == .none)
    }
}
