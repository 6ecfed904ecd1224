import PulseProtocol
import PulseRPC

/// A Subscribe request checked: upper-cased distinct symbols, and where each resumes (nil: live).
struct ValidatedSubscription: Equatable {
    var symbols: [String]
    var resumeFrom: [String: UInt64]
    /// Whether live 1-minute bars go out too.
    var includeBars = false

    /// INVALID_ARGUMENT naming the offender for an empty, malformed, duplicated or excess symbol, or a resume
    /// point for a symbol not asked for (or given twice).
    init(symbols requested: [String], resumeFrom points: [PulseV1.ResumePoint], maxSymbols: Int) throws(GRPCStatus) {
        guard !requested.isEmpty else { throw GRPCStatus(.invalidArgument, "symbols: at least one symbol is needed") }
        guard requested.count <= maxSymbols else {
            throw GRPCStatus(
                .invalidArgument, "symbols: \(requested.count) symbols, at most \(maxSymbols) per subscription")
        }
        var symbols: [String] = []
        var seen: Set<String> = []
        for (index, raw) in requested.enumerated() {
            let symbol = raw.uppercased()
            guard Self.isSymbol(symbol) else {
                throw GRPCStatus(
                    .invalidArgument,
                    "symbols[\(index)]: '\(raw.prefix(32))' is not a symbol (1-16 characters of A-Z, 0-9, '.', '-')")
            }
            guard seen.insert(symbol).inserted else {
                throw GRPCStatus(.invalidArgument, "symbols[\(index)]: \(symbol) is named twice")
            }
            symbols.append(symbol)
        }
        var resumeFrom: [String: UInt64] = [:]
        for (index, point) in points.enumerated() {
            let symbol = point.symbol.uppercased()
            guard seen.contains(symbol) else {
                throw GRPCStatus(
                    .invalidArgument, "resume_from[\(index)]: '\(point.symbol.prefix(32))' is not one of the symbols")
            }
            guard resumeFrom.updateValue(point.sequence, forKey: symbol) == nil else {
                throw GRPCStatus(.invalidArgument, "resume_from[\(index)]: \(symbol) has two resume points")
            }
        }
        self.symbols = symbols
        self.resumeFrom = resumeFrom
    }

    static func isSymbol(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 16
            && text.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }
    }
}
