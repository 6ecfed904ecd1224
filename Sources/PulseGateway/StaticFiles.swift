#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard's files (`clients/web`), read once at start-up and served from memory at `GET /…`: only the files
/// found then exist, so no request path reaches the file system (no `..`, no symlink surprises), and a file is
/// never half-read while it is being replaced.
public struct StaticFiles: Sendable {
    public struct File: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
    }

    /// Request path (`/index.html`, `/vendor/…`) → file; `/` is `index.html`.
    public let files: [String: File]
    /// Where they were read from, for the start-up line.
    public let root: String

    /// Files above this are skipped: the dashboard has none, and a stray archive should not sit in memory.
    public static let maxFileBytes = 4 * 1024 * 1024
    static let maxFiles = 200

    public enum LoadError: Error, CustomStringConvertible {
        case notADirectory(String)
        case noIndex(String)

        public var description: String {
            switch self {
            case .notADirectory(let path): "\(path) is not a readable directory"
            case .noIndex(let path): "\(path) has no index.html"
            }
        }
    }

    /// Reads every regular file under `root` (hidden ones skipped).
    public init(root: String) throws(LoadError) {
        var files: [String: File] = [:]
        guard Self.collect(directory: root, prefix: "", depth: 0, into: &files) else { throw .notADirectory(root) }
        guard let index = files["/index.html"] else { throw .noIndex(root) }
        files["/"] = index
        self.files = files
        self.root = root
    }

    /// The first dashboard folder that exists: `PULSE_WEB_ROOT`, else `clients/web` beside the checkout the binary
    /// was built in (`.build/<configuration>/pulse` → `../../clients/web`), else `clients/web` under the working
    /// directory, else `/usr/share/pulse/web` (the container image).
    public static func defaultRoot(executable: String) -> String? {
        var candidates: [String] = []
        if let raw = getenv("PULSE_WEB_ROOT"), raw.pointee != 0 { candidates.append(String(cString: raw)) }
        var directory = executable
        if let slash = directory.lastIndex(of: "/") { directory = String(directory[..<slash]) } else { directory = "." }
        candidates += [
            directory + "/../../clients/web", directory + "/../clients/web", "clients/web", "/usr/share/pulse/web",
        ]
        return candidates.first { access($0 + "/index.html", R_OK) == 0 }
    }

    public func file(for path: String) -> File? { files[path] }

    /// Folders deeper than this are not read (a symbolic link to a parent would otherwise recurse for ever).
    static let maxDepth = 8

    private static func collect(directory: String, prefix: String, depth: Int, into files: inout [String: File])
        -> Bool
    {
        guard depth <= maxDepth, let handle = opendir(directory) else { return false }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix("."), files.count < maxFiles else { continue }
            let path = directory + "/" + name
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR {
                _ = collect(directory: path, prefix: prefix + "/" + name, depth: depth + 1, into: &files)
            } else if status.st_mode & S_IFMT == S_IFREG, status.st_size <= maxFileBytes,
                let bytes = contents(ofFile: path)
            {
                files[prefix + "/" + name] = File(bytes: bytes, contentType: contentType(name))
            }
        }
        return true
    }

    /// A file's bytes, nil when it cannot be read or is larger than ``maxFileBytes``.
    public static func contents(ofFile path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > maxFileBytes { return nil }
        }
        return ferror(file) == 0 ? bytes : nil
    }

    static func contentType(_ name: String) -> String {
        let suffix = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch suffix {
        case "html": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "json", "map": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        default: return "text/plain; charset=utf-8"
        }
    }
}
