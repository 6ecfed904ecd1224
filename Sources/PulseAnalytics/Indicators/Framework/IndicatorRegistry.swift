/// The indicator functions by name: parses requests (`rsi:14`), lists what exists, makes streaming instances and
/// restores them from checkpoints.
///
/// ```swift
/// let spec = try IndicatorRegistry.standard.spec("bbands:20,2,2")
/// let bands = try spec.compute(bars)          // [upper, middle, lower], aligned with bars
/// var live = IndicatorRegistry.standard.instance(spec)
/// let out = live.update(BarInput(close: 101.5))
/// ```
public struct IndicatorRegistry: Sendable {
    /// Every definition, sorted by name.
    public let definitions: [IndicatorDefinition]
    private let indexByName: [String: Int]

    public init(_ definitions: [IndicatorDefinition]) {
        let sorted = definitions.sorted { $0.name < $1.name }
        var index: [String: Int] = [:]
        for (i, d) in sorted.enumerated() {
            precondition(index[d.name] == nil, "indicator \(d.name) is defined twice")
            index[d.name] = i
        }
        self.definitions = sorted
        indexByName = index
    }

    /// All the functions this library implements.
    public static let standard = IndicatorRegistry(IndicatorCatalog.families.flatMap { $0 })

    /// The definition of a function, by TA-Lib name in any case.
    public func definition(named name: String) -> IndicatorDefinition? {
        indexByName[name.uppercased()].map { definitions[$0] }
    }

    /// Parses `name` or `name:p1,p2,...`.
    /// - Throws: `IndicatorError` naming the valid functions or the parameter's valid range.
    public func spec(_ text: String) throws(IndicatorError) -> IndicatorSpec {
        let trimmed = Substring(text).trimmingSpaces()
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].trimmingSpaces()
        guard let definition = definition(named: String(name)) else {
            throw IndicatorError(
                "unknown indicator '\(name)'; valid indicators: "
                    + definitions.map { $0.name.lowercased() }.joined(separator: ", "))
        }
        var typed: [Substring] = []
        if parts.count == 2 {
            typed = parts[1].split(separator: ",", omittingEmptySubsequences: false)
            if typed.contains(where: { $0.trimmingSpaces().isEmpty }) {
                throw IndicatorError(
                    "\(definition.name): empty parameter in '\(trimmed)'; usage: \(definition.signature)")
            }
        }
        let arguments = try definition.arguments(typed)
        return IndicatorSpec(text: String(trimmed), definition: definition, arguments: arguments, typed: typed)
    }

    /// A fresh streaming instance for `spec`.
    public func instance(_ spec: IndicatorSpec) -> IndicatorInstance {
        IndicatorInstance(spec: spec, state: spec.definition.makeState(spec.arguments))
    }

    /// An instance restored from `IndicatorInstance.checkpoint()` bytes.
    /// - Throws: `IndicatorError` when the bytes are not a checkpoint of a known version and function.
    public func restore(from bytes: [UInt8]) throws(IndicatorError) -> IndicatorInstance {
        let header = try IndicatorCheckpoint.header(bytes)
        let spec = try spec(header.indicator)
        do {
            return IndicatorInstance(spec: spec, state: try spec.definition.restoreState(bytes))
        } catch {
            throw IndicatorError("checkpoint of \(header.indicator) has an invalid state: \(error)")
        }
    }
}
