import ArgumentParser
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `--database-url`, falling back to `DATABASE_URL`: shared by the commands that talk to PostgreSQL.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL connection URL, e.g. postgresql://postgres@127.0.0.1:55432/pulse (env DATABASE_URL).")
    var databaseURL: String?

    /// The configuration to connect with; a usage error when neither the flag nor the variable is set.
    func configuration() throws -> PostgresConfiguration {
        var fromEnvironment: String?
        if let raw = getenv("DATABASE_URL"), raw.pointee != 0 { fromEnvironment = String(cString: raw) }
        guard let url = databaseURL ?? fromEnvironment else {
            throw UsageError("no database: pass --database-url URL or set DATABASE_URL")
        }
        do {
            return try PostgresConfiguration(url: url)
        } catch {
            throw UsageError("--database-url: \(error.message)")
        }
    }
}
