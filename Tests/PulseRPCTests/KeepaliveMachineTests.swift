import Testing

@testable import PulseRPC

@Suite("Keepalive state machine (no sockets)")
struct KeepaliveMachineTests {
    static let second: UInt64 = 1_000_000_000

    @Test("a quiet peer is pinged after the interval and closed when the ACK does not come")
    func pingThenTimeout() {
        var machine = KeepaliveMachine(
            policy: .init(interval: 10 * Self.second, timeout: 2 * Self.second), now: 0)
        #expect(machine.nextDeadline == 10 * Self.second)
        #expect(machine.timerFired(now: 5 * Self.second) == .none)
        guard case .sendPing = machine.timerFired(now: 10 * Self.second) else {
            Issue.record("no PING after the interval")
            return
        }
        #expect(machine.nextDeadline == 12 * Self.second)
        #expect(machine.timerFired(now: 11 * Self.second) == .none)
        #expect(machine.timerFired(now: 12 * Self.second) == .closeUnresponsive)
        #expect(machine.nextDeadline == nil)
        #expect(machine.timerFired(now: 30 * Self.second) == .none)
    }

    @Test("an ACK with the right payload keeps the connection; input postpones the next PING")
    func ackKeepsAlive() {
        var machine = KeepaliveMachine(policy: .init(interval: 10 * Self.second, timeout: 2 * Self.second), now: 0)
        guard case .sendPing(let opaque) = machine.timerFired(now: 10 * Self.second) else {
            Issue.record("no PING")
            return
        }
        machine.pingAckReceived(opaque: opaque &+ 1, now: 11 * Self.second)  // someone else's ACK
        #expect(machine.nextDeadline == 12 * Self.second)
        machine.pingAckReceived(opaque: opaque, now: 11 * Self.second)
        #expect(machine.nextDeadline == 21 * Self.second)
        machine.inputReceived(now: 20 * Self.second)
        #expect(machine.timerFired(now: 21 * Self.second) == .none)
        #expect(machine.nextDeadline == 30 * Self.second)
        guard case .sendPing(let second) = machine.timerFired(now: 30 * Self.second) else {
            Issue.record("no second PING")
            return
        }
        #expect(second != opaque)
    }

    @Test("keepalive off: no deadline, no PING")
    func disabled() {
        var machine = KeepaliveMachine(policy: .init(), now: 0)
        #expect(machine.nextDeadline == nil)
        #expect(machine.timerFired(now: 1000 * Self.second) == .none)
        #expect(machine.peerPingReceived(now: 1) == .none)
        #expect(machine.peerPingReceived(now: 2) == .none)
    }

    @Test("a peer pinging more often than allowed gets strikes, then ENHANCE_YOUR_CALM")
    func pingStrikes() {
        var machine = KeepaliveMachine(
            policy: .init(minPeerPingInterval: 5 * Self.second, maxPingStrikes: 2), now: 0)
        #expect(machine.peerPingReceived(now: 0) == .none)  // the first is never a strike
        #expect(machine.peerPingReceived(now: 10 * Self.second) == .none)  // far enough apart
        #expect(machine.peerPingReceived(now: 11 * Self.second) == .none)  // strike 1
        #expect(machine.peerPingReceived(now: 12 * Self.second) == .none)  // strike 2
        #expect(machine.peerPingReceived(now: 13 * Self.second) == .closeTooManyPings)
    }

    @Test("stream activity forgives earlier strikes")
    func activityResetsStrikes() {
        var machine = KeepaliveMachine(
            policy: .init(minPeerPingInterval: 5 * Self.second, maxPingStrikes: 1), now: 0)
        #expect(machine.peerPingReceived(now: 0) == .none)
        #expect(machine.peerPingReceived(now: 1 * Self.second) == .none)  // strike 1
        machine.streamActivity()
        #expect(machine.peerPingReceived(now: 2 * Self.second) == .none)  // first after activity
        #expect(machine.peerPingReceived(now: 3 * Self.second) == .none)  // strike 1 again
        #expect(machine.peerPingReceived(now: 4 * Self.second) == .closeTooManyPings)
    }
}
