import Foundation

extension ProtoSchema {
    /// Parses `.proto` sources (file name → text) into one schema and resolves every type name.
    public static func parse(_ sources: [(file: String, text: String)]) throws(SchemaError) -> ProtoSchema {
        var schema = ProtoSchema()
        var pending: [(message: String, index: Int, typeName: String, scope: String)] = []
        for source in sources {
            var parser = try ProtoParser(source: source.text, file: source.file, into: schema)
            try parser.parseFile()
            schema = parser.schema
            pending += parser.pending
        }
        for reference in pending {
            let resolved = try schema.resolve(reference.typeName, in: reference.scope)
            switch reference.index {
            case -1: schema.methods[reference.message]?.inputType = resolved.name
            case -2: schema.methods[reference.message]?.outputType = resolved.name
            default:
                schema.messages[reference.message]?.fields[reference.index].type =
                    resolved.isEnum ? .enumeration(resolved.name) : .message(resolved.name)
                if !resolved.isEnum { schema.messages[reference.message]?.fields[reference.index].packed = false }
            }
        }
        for (path, method) in schema.methods {
            guard schema.messages[method.inputType] != nil, schema.messages[method.outputType] != nil else {
                throw SchemaError("\(path): its request or response type is not a message")
            }
        }
        return schema
    }

    /// Protobuf's scoping: `Name` used inside `a.b.C` is looked up as `a.b.C.Name`, `a.b.Name`, `a.Name`,
    /// `Name`; a leading dot makes it absolute.
    private func resolve(_ name: String, in scope: String) throws(SchemaError) -> (name: String, isEnum: Bool) {
        if name.hasPrefix(".") {
            let absolute = String(name.dropFirst())
            if messages[absolute] != nil { return (absolute, false) }
            if enums[absolute] != nil { return (absolute, true) }
            throw SchemaError("type \(name) is not defined")
        }
        var prefix = scope
        while true {
            let candidate = prefix.isEmpty ? name : "\(prefix).\(name)"
            if messages[candidate] != nil { return (candidate, false) }
            if enums[candidate] != nil { return (candidate, true) }
            if prefix.isEmpty { break }
            if let dot = prefix.lastIndex(of: ".") {
                prefix = String(prefix[..<dot])
            } else {
                prefix = ""
            }
        }
        throw SchemaError("type \(name) (used in \(scope)) is not defined in the proto path")
    }

    /// Reads every `.proto` file under `directory` (recursively).
    public static func load(directory: String) throws(SchemaError) -> ProtoSchema {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SchemaError("the proto path \(directory) is not a directory")
        }
        var sources: [(file: String, text: String)] = []
        let enumerator = manager.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".proto") else { continue }
            let path = "\(directory)/\(relative)"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SchemaError("cannot read \(path)")
            }
            sources.append((relative, text))
        }
        guard !sources.isEmpty else { throw SchemaError("no .proto files under \(directory)") }
        return try parse(sources.sorted { $0.file < $1.file })
    }

    /// The default proto path: `Protocol/` next to the binary (or a few levels up, as in `.build/debug`),
    /// else in the current directory or its parents.
    public static func defaultDirectory() -> String? {
        let manager = FileManager.default
        var starts: [String] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        starts.append(executable.deletingLastPathComponent().path)
        starts.append(manager.currentDirectoryPath)
        for start in starts {
            var directory = URL(fileURLWithPath: start)
            for _ in 0..<6 {
                let candidate = directory.appendingPathComponent("Protocol").path
                var isDirectory: ObjCBool = false
                if manager.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                    return candidate
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }
}
