import PulseIO
import PulseProtocol

/// Idle timeout, keepalive and graceful shutdown of one connection.
extension ServerConnection {
    /// Arms the keepalive timer for the machine's next deadline (none when keepalive is off).
    func scheduleKeepalive() {
        guard keepaliveTimer == nil, let deadline = keepalive.nextDeadline else { return }
        keepaliveTimer = loop.scheduleTimer(deadline: deadline) { [self] in
            keepaliveTimer = nil
            if isClosed { return }
            apply(keepalive.timerFired(now: MonotonicClock.now()))
            scheduleKeepalive()
        }
    }

    /// Carries out what the keepalive machine decided.
    func apply(_ action: KeepaliveMachine.Action) {
        switch action {
        case .none:
            break
        case .sendPing(let opaque):
            session.ping(opaque: opaque)
            requestFlush()
        case .closeUnresponsive:
            core.logger.debug("keepalive PING not acknowledged in time; closing", metadata: ["peer": "\(peer)"])
            close()
        case .closeTooManyPings:
            core.logger.warning(
                "closing connection with ENHANCE_YOUR_CALM: too many pings", metadata: ["peer": "\(peer)"])
            session.terminate(errorCode: HTTP2ErrorCode.enhanceYourCalm)
            requestFlush()
        }
    }

    /// Carries out what the connection's state machine decided.
    func perform(_ action: ServerConnectionMachine.Action) {
        switch action {
        case .none:
            break
        case .close:
            close()
        case .terminate(let errorCode):
            session.terminate(errorCode: errorCode)
            requestFlush()
        case .sendShutdownNotice:
            session.submitShutdownNotice()
            requestFlush()
        case .sendGoAway(let thenTerminate):
            session.submitGoAway()
            if thenTerminate { session.terminate(errorCode: HTTP2ErrorCode.noError) }
            requestFlush()
        case .failOpenCalls:
            for stream in streams.all where !stream.isOver {
                stream.task?.cancel()
                finish(stream, GRPCStatus(.unavailable, "server is shutting down"))
            }
            requestFlush()
        case .checkIdleAgain(let after):
            scheduleIdleCheck(after: after)
        }
    }

    /// Checks for idleness at `lastActivity + idleTimeout` rather than re-arming a timer per call.
    func scheduleIdleCheck(after nanoseconds: UInt64) {
        idleTimer = loop.scheduleTimer(afterNanoseconds: max(nanoseconds, 1_000_000)) { [self] in
            idleTimer = nil
            if isClosed { return }
            let action = machine.idleTimerFired(now: MonotonicClock.now(), openStreams: streams.count)
            if case .terminate = action { core.logger.debug("closing idle connection", metadata: ["peer": "\(peer)"]) }
            perform(action)
        }
    }

    /// Graceful shutdown: a shutdown notice now, the real GOAWAY (naming the last stream we
    /// processed) after about a round trip, UNAVAILABLE for calls still open after `grace`, and a
    /// hard close shortly after that.
    func beginShutdown(grace: UInt64) {
        if isClosed { return }
        let action = machine.beginShutdown()
        guard action == .sendShutdownNotice else { return }
        perform(action)
        let grace = max(grace, ServerConnectionMachine.goAwayDelay)
        shutdownTimers.append(
            loop.scheduleTimer(afterNanoseconds: ServerConnectionMachine.goAwayDelay) { [self] in
                perform(machine.goAwayDelayPassed(openStreams: streams.count))
            })
        shutdownTimers.append(
            loop.scheduleTimer(afterNanoseconds: grace) { [self] in
                perform(machine.gracePeriodPassed())
            })
        shutdownTimers.append(
            loop.scheduleTimer(afterNanoseconds: grace + ServerConnectionMachine.hardCloseDelay) { [self] in
                perform(machine.hardCloseDue())
            })
    }
}
