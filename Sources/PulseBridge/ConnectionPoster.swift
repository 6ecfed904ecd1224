/// What API Gateway's Management API does for a WebSocket API: `POST @connections/{id}` with one message. In the
/// cloud it is a signed HTTPS call; `pulse gateway` writes to its own sockets. The fan-out only sees this.
public protocol ConnectionPoster: Sendable {
    /// Sends one text message to `connection`; `.gone` when it no longer exists (API Gateway's 410), so the
    /// caller forgets the connection.
    func post(_ message: [UInt8], to connection: String) async -> PostOutcome
}

public enum PostOutcome: Sendable, Equatable {
    case delivered
    case gone
}
