internal import CPulseLinux

/// Readiness reported by the loop for a registered file descriptor.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: EPOLLIN.rawValue)
    public static let writable = IOEvents(rawValue: EPOLLOUT.rawValue)
    public static let hangup = IOEvents(rawValue: EPOLLHUP.rawValue | EPOLLRDHUP.rawValue)
    public static let error = IOEvents(rawValue: EPOLLERR.rawValue)
}

/// An object that owns a file descriptor registered with an ``EventLoop`` and reacts to its readiness.
///
/// Handlers live on one loop: the loop calls ``handleIO(_:)`` on its own thread only.
public protocol IOHandler: AnyObject {
    /// Called on the loop thread when the descriptor is ready for `events`.
    func handleIO(_ events: IOEvents)
}

/// A timer scheduled on an ``EventLoop``; cancel it with ``EventLoop/cancelTimer(_:)``.
public struct TimerHandle: Hashable, Sendable {
    let id: UInt64
}
