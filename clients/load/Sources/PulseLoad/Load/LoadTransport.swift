import PulseIO
import PulseProtocol
import PulseRPC

// The one file that uses PulseRPC's client API (ClientChannel, ClientRequest, ServerAddress): when that
// API changes, only this file follows.

/// How one call ended.
public enum CallOutcome: Sendable {
    case ok
    case failed(GRPCStatus.Code, String)
}

/// One HTTP/2 connection of the harness, on one event loop.
final class LoadConnection: Sendable {
    let loop: EventLoop
    private let channel: ClientChannel

    init(host: String, port: Int, loop: EventLoop, connectTimeout: Duration) throws(LoadError) {
        let address: ServerAddress
        do {
            address = try ServerAddress(host: host, port: port)
        } catch {
            throw LoadError("cannot resolve \(host):\(port): \(error)")
        }
        self.loop = loop
        channel = ClientChannel(address: address, loop: loop, connectTimeout: connectTimeout)
    }

    /// A request prepared once and sent many times (the framed body is shared, never copied).
    struct PreparedRequest: Sendable {
        fileprivate let request: ClientRequest
    }

    static func prepare(path: String, message: [UInt8], timeout: Duration?) -> PreparedRequest {
        PreparedRequest(request: ClientRequest(path: path, body: GRPCFraming.frame(body: message), timeout: timeout))
    }

    /// Sends a unary call and waits for its end.
    func unary(_ prepared: PreparedRequest) async -> CallOutcome {
        do {
            _ = try await channel.unary(prepared.request)
            return .ok
        } catch {
            return .failed(error.code, error.message)
        }
    }

    /// A function that starts a unary call from the connection's loop thread; `completion` runs on that thread
    /// when the call ends. Made once per caller and used for every call, so a call allocates no closure of its own.
    func unaryStarter(completion: @escaping (CallOutcome) -> Void) -> (PreparedRequest) -> Void {
        let finished = { (result: Result<[UInt8], GRPCStatus>) in
            switch result {
            case .success: completion(.ok)
            case .failure(let status): completion(.failed(status.code, status.message))
            }
        }
        return { [channel] prepared in channel.startUnary(prepared.request, completion: finished) }
    }

    /// Starts a server-streaming call; `onMessage` gets each message body, in order, on the calling task.
    /// Returns how the call ended (CANCELLED when the task was cancelled).
    func serverStream(_ prepared: PreparedRequest, onMessage: ([UInt8]) -> Void) async -> CallOutcome {
        let stream = channel.serverStream(prepared.request)
        do {
            for try await body in stream { onMessage(body) }
            return .ok
        } catch {
            return .failed(error.code, error.message)
        }
    }

    func close() async {
        await channel.close()
    }
}

/// A run that cannot start or had to stop: a message for the operator.
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
