extension EventLoop {
    /// Runs `body` on this loop and returns its result; callable from any thread. On the loop itself it
    /// runs at once. The body may capture loop-owned (non-`Sendable`) values that are handed over to the
    /// loop (`sending`); it runs even when the awaiting task is cancelled meanwhile.
    ///
    /// ```swift
    /// let acceptor = try await loop.submit { LoopBound(try Acceptor(socket: socket, loop: loop), loop: loop) }
    /// ```
    public func submit<T: Sendable>(_ body: sending @escaping () throws -> T) async throws -> T {
        if inEventLoop { return try body() }
        let handOver = HandOver(body)
        return try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try handOver.body() }) }
        }
    }

    /// Runs the non-throwing `body` on this loop and returns its result; see ``submit(_:)-(()throws->T)``.
    public func submit<T: Sendable>(_ body: sending @escaping () -> T) async -> T {
        if inEventLoop { return body() }
        let handOver = HandOver(body)
        return await withCheckedContinuation { continuation in
            execute { continuation.resume(returning: handOver.body()) }
        }
    }
}

/// Carries a `sending` closure to the loop: the caller gave it up, so only the loop runs it.
private struct HandOver<Body>: @unchecked Sendable {
    let body: Body
    init(_ body: Body) { self.body = body }
}
