import PulseProtocol

/// What an API key may call. `admin` includes every other scope.
public enum APIKeyScope: String, Sendable, CaseIterable, Comparable {
    case read, load, backtest, admin

    public static func < (lhs: APIKeyScope, rhs: APIKeyScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses `read,backtest`; a usage message naming the bad entry otherwise.
    public static func parseList(_ text: String) throws(APIKeyError) -> [APIKeyScope] {
        let names = text.split(separator: ",").map { trimmingSpaces(Array($0.utf8)[...]).lowercased() }
        guard !names.isEmpty else { throw APIKeyError("give at least one scope of read, load, backtest, admin") }
        var scopes: [APIKeyScope] = []
        for name in names {
            guard let scope = APIKeyScope(rawValue: name) else {
                throw APIKeyError("unknown scope '\(name)': the scopes are read, load, backtest, admin")
            }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return scopes.sorted()
    }

    /// The scope a method needs, or nil for a method that is always open (health). Methods of services this table
    /// does not know need `admin`, so a service added without an entry here is closed, never open.
    ///
    /// The table is in Protocol/README.md ("Authentication").
    public static func required(for method: GRPCMethod) -> APIKeyScope? {
        switch method.service {
        case PulseMethods.Health.service: return nil
        case PulseMethods.Quotes.service: return method.name == "LoadSymbol" ? .load : .read
        case PulseMethods.Indicators.service: return .read
        case PulseMethods.Backtests.service: return .backtest
        default: return .admin
        }
    }
}

/// A problem with a key's settings (for the CLI).
public struct APIKeyError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
