private import COpenSSL

/// A TLS set-up failure (certificate or key files that cannot be used, a CA file that cannot be read).
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// `what` and the reasons OpenSSL queued on this thread (the queue is emptied).
    static func openSSL(_ what: String) -> TLSError {
        TLSError(what + OpenSSLErrors.drain())
    }
}

/// OpenSSL's per-thread error queue.
enum OpenSSLErrors {
    /// The queued reasons as `: reason; reason`, or "" when none; empties the queue.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
    }

    static func clear() { ERR_clear_error() }
}
