import PulseIO
import PulseStore
import Testing

@Suite("PostgresConnection against a real PostgreSQL", requiresPostgres)
struct ConnectionTests {
    @Test func selectsWithParametersInTextAndBinary() async throws {
        try await TestDatabase.withConnection { connection in
            let text = try await connection.query(
                "SELECT $1::int8 + 1 AS n, $2::text || '!' AS s, $3::float8 * 2 AS x, $4::bool AS b, NULL::int AS z",
                [.int(41), .text("hi"), .double(1.25), .bool(true)])
            #expect(text.rowCount == 1)
            #expect(text.columnName(0) == "n")
            #expect(try text.int(0, 0) == 42)
            #expect(text.string(0, 1) == "hi!")
            #expect(try text.double(0, 2) == 2.5)
            #expect(try text.bool(0, 3) == true)
            #expect(text.isNull(0, 4))
            let binary = try await connection.query(
                "SELECT $1::int8 + 1, $2::float8 * 2, $3::bool", [.int(41), .double(1.25), .bool(false)],
                binaryResults: true)
            #expect(try binary.int(0, 0) == 42)
            #expect(try binary.double(0, 1) == 2.5)
            #expect(try binary.bool(0, 2) == false)
        }
    }
}
