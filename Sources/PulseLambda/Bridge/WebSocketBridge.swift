import Logging
import PulseBridge
import PulseClient
import PulseMarketData
import PulseProtocol
import PulseStore

/// The WebSocket API's routes in a Lambda: `$connect` (its `?symbols=` subscribed at once), `$disconnect`,
/// and messages (`$default` or the `subscribe`/`unsubscribe`/`resume` routes API Gateway selects on
/// `action`). The registry is Redis (``ConnectionRegistry``); frames for the browser — acknowledgements, error
/// messages, a resume's replayed ticks — go back through `@connections`, and the Lambda answers 200.
public struct WebSocketBridge: Sendable {
    public let client: PulseClient
    public let registry: ConnectionRegistry
    public let poster: ConnectionPoster
    /// The `@connections` endpoint; nil builds it from the event (`https://{domainName}/{stage}`), which a
    /// custom domain with a base path gets wrong: set `PULSE_WS_ENDPOINT` there.
    public var endpoint: String?
    /// For `resume`: the tick log the pusher follows; nil answers resume with UNAVAILABLE.
    public var tickLog: TickLog?
    public var callTimeout: Duration = .seconds(10)
    public var logger = Logger(label: "pulse.lambda.websocket")

    public init(
        client: PulseClient, registry: ConnectionRegistry, poster: ConnectionPoster, endpoint: String? = nil,
        tickLog: TickLog? = nil
    ) {
        self.client = client
        self.registry = registry
        self.poster = poster
        self.endpoint = endpoint
        self.tickLog = tickLog
    }

    /// Handles one WebSocket event; returns the Lambda's response (`{"statusCode":…}`).
    public func handle(_ json: JSONValue, context: LambdaContext) async throws -> JSONValue {
        let event: WebSocketEvent
        do {
            event = try WebSocketEvent.decode(json)
        } catch {
            throw LambdaFunctionError.badEvent("\(error)")
        }
        let id = event.connectionId
        switch event.kind {
        case .connect(let query):
            // Nothing can be sent before `$connect` returns, so a bad `?symbols=` refuses the upgrade instead.
            guard let list = query["symbols"]?.first, !list.isEmpty else { return Self.status(200) }
            do throws(BridgeError) {
                let symbols = try list.split(separator: ",").map { (s) throws(BridgeError) in
                    try Route.checkedSymbol(String(s))
                }
                try await requireKnown(symbols, context)
                _ = try await registry.subscribe(id, symbols)
                return Self.status(200)
            } catch {
                return Self.status(error.httpStatus, body: error.json.json)
            }
        case .disconnect:
            _ = try? await registry.disconnect(id)
            return Self.status(200)
        case .message(let body):
            let target = endpoint ?? Self.endpoint(of: json)
            if target == nil { logger.error("no @connections endpoint: set PULSE_WS_ENDPOINT") }
            for frame in await frames(for: body, connection: id, context: context) {
                if let target {
                    let outcome = await poster.post(
                        endpoint: target, connectionID: id, data: Array(frame.json.utf8), traceID: context.traceID)
                    switch outcome {
                    case .delivered: break
                    case .gone: _ = try? await registry.disconnect(id)
                    case .failed(let reason): logger.warning("frame to \(id) not delivered: \(reason)")
                    }
                }
            }
            return Self.status(200)
        }
    }

    /// The frames one message produces for its own connection, in order.
    func frames(for body: [UInt8], connection: String, context: LambdaContext) async -> [JSONValue] {
        do throws(BridgeError) {
            switch try ClientMessage.parse(body) {
            case .subscribe(let symbols):
                try await requireKnown(symbols, context)
                return [ServerMessage.acknowledgement(try await registry.subscribe(connection, symbols))]
            case .unsubscribe(let symbols):
                return [ServerMessage.acknowledgement(try await registry.unsubscribe(connection, symbols))]
            case .resume(let after):
                let symbols = after.keys.sorted()
                try await requireKnown(symbols, context)
                var frames = try await replay(after)
                frames.append(ServerMessage.acknowledgement(try await registry.subscribe(connection, symbols)))
                return frames
            }
        } catch {
            return [ServerMessage.error(error)]
        }
    }

    /// What each symbol's browser missed, from the tick log: the ticks after its sequence, and a gap frame
    /// for what the log no longer holds.
    private func replay(_ after: [String: UInt64]) async throws(BridgeError) -> [JSONValue] {
        guard let tickLog else { throw BridgeError(.unavailable, "resume is unavailable: no tick log configured") }
        var frames: [JSONValue] = []
        for symbol in after.keys.sorted() {
            let replay: TickLog.Replay
            do {
                replay = try await tickLog.replay(symbol, after: after[symbol]!, limit: 1_000)
            } catch {
                throw BridgeError(.unavailable, "the tick log is unavailable; try again")
            }
            if let missing = replay.missing {
                frames.append(TickFrames.gap(symbol: symbol, first: missing.lowerBound, last: missing.upperBound))
            }
            frames += replay.entries.map { TickFrames.tick(symbol: symbol, $0, conflated: 0) }
        }
        return frames
    }

    private func requireKnown(_ symbols: [String], _ context: LambdaContext) async throws(BridgeError) {
        let response: PulseV1.GetQuotesResponse
        do {
            response = try await client.quotes.quotes(symbols, options: LambdaCalls.options(callTimeout, context))
        } catch {
            throw BridgeError(error)
        }
        if !response.notFound.isEmpty {
            throw BridgeError(.notFound, "unknown symbol: \(response.notFound.joined(separator: ", "))")
        }
    }

    /// `https://{domainName}/{stage}`, the endpoint API Gateway's own domain answers `@connections` on.
    static func endpoint(of json: JSONValue) -> String? {
        guard let domain = json["requestContext"]?["domainName"]?.string,
            let stage = json["requestContext"]?["stage"]?.string
        else { return nil }
        return "https://\(domain)/\(stage)"
    }

    static func status(_ code: Int, body: String? = nil) -> JSONValue {
        var members = [JSONMember(name: "statusCode", value: .number(Double(code)))]
        if let body { members.append(JSONMember(name: "body", value: .string(body))) }
        return .object(members)
    }
}

/// The tick frames of the pusher and of a resume: the seed's shape plus `sequence`, `volume`, `conflated`.
enum TickFrames {
    static func tick(symbol: String, _ entry: TickLog.Entry, conflated: UInt32) -> JSONValue {
        ServerMessage.tick(
            symbol: symbol, price: entry.price, timeMs: entry.timeMs, sequence: entry.sequence, volume: entry.size,
            conflated: conflated)
    }

    /// `{"type":"gap","symbol":…,"first":…,"last":…}`: sequences that will never arrive.
    static func gap(symbol: String, first: UInt64, last: UInt64) -> JSONValue {
        .object([
            JSONMember(name: "type", value: .string("gap")),
            JSONMember(name: "symbol", value: .string(symbol)),
            JSONMember(name: "first", value: .number(Double(first))),
            JSONMember(name: "last", value: .number(Double(last))),
        ])
    }
}

/// Options for the upstream calls a Lambda makes: a deadline, and X-Ray's trace header as metadata.
enum LambdaCalls {
    static func options(_ timeout: Duration, _ context: LambdaContext) -> CallOptions {
        let budget = Duration.milliseconds(max(1, context.remainingMs - 100))
        return CallOptions(
            timeout: min(timeout, budget),
            metadata: context.traceID.map { [("x-amzn-trace-id", Array($0.utf8))] } ?? [])
    }
}
