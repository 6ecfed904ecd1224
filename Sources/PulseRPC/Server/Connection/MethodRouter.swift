import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The table of served methods, looked up by the raw `:path` bytes of a request.
///
/// A linear scan comparing lengths first and then bytes: a server has tens of methods, and this
/// avoids building a String or hashing per call.
final class MethodRouter: Sendable {
    struct Route: Sendable {
        let definition: RPCMethodDefinition
        let pathBytes: [UInt8]
    }

    let routes: [Route]

    init(services: [any RPCService]) {
        var routes: [Route] = []
        for service in services {
            for definition in service.methods {
                routes.append(Route(definition: definition, pathBytes: Array(definition.method.path.utf8)))
            }
        }
        self.routes = routes
    }

    func index(ofPath path: UnsafeRawBufferPointer) -> Int? {
        guard let base = path.baseAddress else { return nil }
        for (index, route) in routes.enumerated() where route.pathBytes.count == path.count {
            let same = route.pathBytes.withUnsafeBytes { memcmp($0.baseAddress!, base, path.count) == 0 }
            if same { return index }
        }
        return nil
    }
}
