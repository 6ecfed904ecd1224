import ArgumentParser
import PulseStore

/// `pulse migrate`: applies the schema migrations PulseStore ships with. Safe to run twice, and from two
/// processes at once (they serialise on an advisory lock).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database schema migrations (idempotent).",
        discussion: "Prints the versions it applied, or that the schema is up to date.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try database.configuration()
        let migrations = try SchemaMigrations.bundled()
        let applied = try await PostgresConnection.withConnection(to: configuration) { connection in
            try await SchemaMigrations.apply(migrations, on: connection)
        }
        let latest = migrations.last?.version ?? 0
        if applied.isEmpty {
            print("schema up to date (version \(latest))")
        } else {
            print("applied migrations \(applied.map(String.init).joined(separator: ", ")) (schema version \(latest))")
        }
    }
}
