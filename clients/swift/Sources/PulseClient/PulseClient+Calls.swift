import PulseProtocol
import PulseRPC

extension PulseClient {
    /// Calls a unary method: one request, one response; the descriptor fixes both message types.
    ///
    /// ```swift
    /// let response = try await client.unary(PulseMethods.Health.check, HealthCheckRequest(service: ""))
    /// ```
    ///
    /// - Throws: `RPCError` with the call's status (see ``unary(_:_:as:options:)``).
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: UnaryMethod<Request, Response>, _ request: Request, options: CallOptions = CallOptions()
    ) async throws(RPCError) -> Response {
        try await unary(method.descriptor, request, as: Response.self, options: options)
    }

    /// Calls a server-streaming method; the descriptor fixes both message types. See
    /// ``serverStream(_:_:as:options:)``.
    public func serverStream<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: ServerStreamingMethod<Request, Response>, _ request: Request, options: CallOptions = CallOptions()
    ) -> ResponseStream<Response> {
        serverStream(method.descriptor, request, as: Response.self, options: options)
    }

    /// Calls a unary method by its untyped descriptor (for methods without a typed one, such as another
    /// server's); the caller names the response type. Typed service clients use the typed overload.
    ///
    /// - Throws: `RPCError` with the call's status: the server's, DEADLINE_EXCEEDED when
    ///   `options.timeout` passes, CANCELLED when the calling task is cancelled, UNAVAILABLE when the
    ///   server cannot be reached, INTERNAL when the response does not decode.
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: GRPCMethod, _ request: Request, as response: Response.Type = Response.self,
        options: CallOptions = CallOptions()
    ) async throws(RPCError) -> Response {
        let body: [UInt8]
        do {
            body = try await channel.unary(clientRequest(method, request, options))
        } catch {
            throw RPCError(error)
        }
        do {
            return try Response(serializedBytes: body)
        } catch {
            throw RPCError(code: .internal, message: "the \(method) response does not decode: \(error)")
        }
    }

    /// Calls a server-streaming method; the responses arrive as an `AsyncSequence`.
    ///
    /// The call starts at once. Read at your own pace: the server is slowed down, not buffered.
    /// Cancelling the reading task or dropping the sequence cancels the call.
    public func serverStream<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: GRPCMethod, _ request: Request, as response: Response.Type = Response.self,
        options: CallOptions = CallOptions()
    ) -> ResponseStream<Response> {
        ResponseStream(raw: channel.serverStream(clientRequest(method, request, options)), method: method)
    }

    private func clientRequest(_ method: GRPCMethod, _ request: some ProtoMessage, _ options: CallOptions)
        -> ClientRequest
    {
        let metadata = options.metadata.map { entry in
            HTTP2HeaderField(
                name: entry.name,
                value: entry.name.hasSuffix("-bin")
                    ? Base64.encode(entry.value) : String(decoding: entry.value, as: UTF8.self))
        }
        return ClientRequest(
            path: method.path, body: GRPCFraming.frame(request), metadata: metadata, timeout: options.timeout,
            maxResponseMessageSize: options.maxResponseMessageSize)
    }
}
