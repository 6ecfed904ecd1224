/// Every function the expression language offers, by name.
public enum FunctionCatalog {
    /// All functions, language helpers first, then indicators.
    public static let all: [ExpressionFunction] = core + indicators

    private static let byName: [String: ExpressionFunction] = Dictionary(
        all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The function called `name` (case-sensitive: the language's names are lower case).
    public static func function(named name: String) -> ExpressionFunction? { byName[name] }

    /// One line per function, `signature — summary`, for listings (a CLI flag, the language reference).
    public static var listing: String {
        all.map { "\($0.signature) — \($0.summary)" }.joined(separator: "\n")
    }

    /// Names of every function, sorted, for "unknown function" messages.
    public static var names: [String] { all.map(\.name).sorted() }
}
