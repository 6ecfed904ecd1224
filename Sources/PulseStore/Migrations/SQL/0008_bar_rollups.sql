-- Rollups: 5-minute, 1-hour and 1-day bars kept from the 1-minute bars, the way TimescaleDB's continuous
-- aggregates serve coarse bars without rescanning fine ones. Buckets follow BarGrouping (GetBars' grid): 5m and 1h
-- aligned to the clock, 1d the US/Eastern calendar day (extended hours included) stamped at midnight UTC of its
-- date. `minutes` is how many 1-minute bars a rollup folds.
CREATE TABLE bar_rollups (
    symbol_id   integer NOT NULL REFERENCES symbols (id),
    timeframe   text NOT NULL CHECK (timeframe IN ('5m', '1h', '1d')),
    ts          timestamptz NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    volume      double precision NOT NULL,
    minutes     integer NOT NULL,
    PRIMARY KEY (symbol_id, timeframe, ts)
);

-- The hours whose 1-minute bars changed since the rollups were last refreshed (the invalidation log): written by
-- the triggers below in the writer's own transaction, consumed by pulse_refresh_rollups. While a symbol has rows
-- here its rollups may be stale, and reads group its minutes instead.
CREATE TABLE bar_rollup_invalidations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    symbol_id   integer NOT NULL,
    hour        timestamptz NOT NULL
);
CREATE INDEX bar_rollup_invalidations_symbol ON bar_rollup_invalidations (symbol_id);

CREATE FUNCTION pulse_note_minutes_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bar_rollup_invalidations (symbol_id, hour)
    SELECT DISTINCT symbol_id, date_bin('1 hour', ts, timestamptz '1970-01-01 00:00:00+00')
    FROM changed_rows WHERE timeframe = '1m';
    RETURN NULL;
END
$$;

-- Statement-level, with transition tables: one INSERT of the distinct hours per statement (COPY included),
-- however many rows it wrote. An upsert that rewrote nothing (unchanged rows) notes nothing.
CREATE TRIGGER bars_minutes_inserted AFTER INSERT ON bars
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION pulse_note_minutes_changed();
CREATE TRIGGER bars_minutes_updated AFTER UPDATE ON bars
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION pulse_note_minutes_changed();
CREATE TRIGGER bars_minutes_deleted AFTER DELETE ON bars
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION pulse_note_minutes_changed();

-- The one writer of bar_rollups. Recomputes every bucket of the noted hours (5m, 1h) and of their Eastern days
-- (1d) from the 1-minute bars, rewriting only rollups whose values changed and dropping those left without
-- minutes, then forgets the invalidations it handled. An advisory lock makes concurrent callers take turns, so
-- two instances never interleave; what is noted while it runs waits for the next call. Returns the rollup rows
-- written or deleted.
CREATE FUNCTION pulse_refresh_rollups() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint;
    changed bigint := 0;
    n bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('pulse.bar_rollups'));
    SELECT max(id) INTO upto FROM bar_rollup_invalidations;
    IF upto IS NULL THEN
        RETURN 0;
    END IF;

    -- The invalidations this call handles, kept by id: each statement below reads a newer snapshot, and rows that
    -- commit meanwhile (a writer's transaction that took an id below `upto` but committed later) must stay for the
    -- next call rather than be deleted unhandled.
    CREATE TEMP TABLE pulse_rollup_noted ON COMMIT DROP AS
        SELECT id, symbol_id, hour FROM bar_rollup_invalidations WHERE id <= upto;
    CREATE TEMP TABLE pulse_rollup_hours ON COMMIT DROP AS
        SELECT DISTINCT symbol_id, hour FROM pulse_rollup_noted;
    CREATE TEMP TABLE pulse_rollup_days ON COMMIT DROP AS
        SELECT DISTINCT symbol_id, (hour AT TIME ZONE 'America/New_York')::date AS day FROM pulse_rollup_hours;
    -- Per symbol, the span of minutes to read: one index range scan, filtered to the noted hours or days by a
    -- hash lookup (a join on each hour's range would rescan the minutes once per hour).
    CREATE TEMP TABLE pulse_rollup_spans ON COMMIT DROP AS
        SELECT symbol_id, min(day::timestamp AT TIME ZONE 'America/New_York') AS first_ts,
               max((day + 1)::timestamp AT TIME ZONE 'America/New_York') AS end_ts
        FROM pulse_rollup_days GROUP BY symbol_id;
    ANALYZE pulse_rollup_hours;
    ANALYZE pulse_rollup_days;
    ANALYZE pulse_rollup_spans;

    -- The buckets as the minutes make them now.
    CREATE TEMP TABLE pulse_rollup_fresh ON COMMIT DROP AS
    SELECT b.symbol_id, g.timeframe, date_bin(g.width, b.ts, timestamptz '1970-01-01 00:00:00+00') AS ts,
           (array_agg(b.open ORDER BY b.ts))[1] AS open, max(b.high) AS high, min(b.low) AS low,
           (array_agg(b.close ORDER BY b.ts DESC))[1] AS close, sum(b.volume) AS volume, count(*)::integer AS minutes
    FROM pulse_rollup_spans span
    JOIN bars b ON b.symbol_id = span.symbol_id AND b.timeframe = '1m'
               AND b.ts >= span.first_ts AND b.ts < span.end_ts
    CROSS JOIN (VALUES ('5m', interval '5 minutes'), ('1h', interval '1 hour')) AS g (timeframe, width)
    WHERE (b.symbol_id, date_bin('1 hour', b.ts, timestamptz '1970-01-01 00:00:00+00'))
          IN (SELECT symbol_id, hour FROM pulse_rollup_hours)
    GROUP BY b.symbol_id, g.timeframe, 3;
    INSERT INTO pulse_rollup_fresh
    SELECT b.symbol_id, '1d', (d.day::timestamp AT TIME ZONE 'UTC'),
           (array_agg(b.open ORDER BY b.ts))[1], max(b.high), min(b.low),
           (array_agg(b.close ORDER BY b.ts DESC))[1], sum(b.volume), count(*)
    FROM pulse_rollup_spans span
    JOIN bars b ON b.symbol_id = span.symbol_id AND b.timeframe = '1m'
               AND b.ts >= span.first_ts AND b.ts < span.end_ts
    JOIN pulse_rollup_days d ON d.symbol_id = b.symbol_id AND d.day = (b.ts AT TIME ZONE 'America/New_York')::date
    GROUP BY b.symbol_id, d.day;
    ANALYZE pulse_rollup_fresh;

    INSERT INTO bar_rollups AS r (symbol_id, timeframe, ts, open, high, low, close, volume, minutes)
    SELECT symbol_id, timeframe, ts, open, high, low, close, volume, minutes FROM pulse_rollup_fresh
    ON CONFLICT (symbol_id, timeframe, ts) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
        volume = EXCLUDED.volume, minutes = EXCLUDED.minutes
    WHERE (r.open, r.high, r.low, r.close, r.volume, r.minutes)
        IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, EXCLUDED.minutes);
    GET DIAGNOSTICS n = ROW_COUNT;
    changed := changed + n;

    -- Buckets of the noted hours and days that no minute makes any more (deleted minutes) go too. The fresh
    -- buckets are matched on the whole key, so this is a hash anti-join, not a range test per pair of rows.
    DELETE FROM bar_rollups r USING pulse_rollup_hours h
    WHERE r.symbol_id = h.symbol_id AND r.timeframe IN ('5m', '1h')
      AND r.ts >= h.hour AND r.ts < h.hour + interval '1 hour'
      AND NOT EXISTS (
          SELECT 1 FROM pulse_rollup_fresh f WHERE f.symbol_id = r.symbol_id AND f.timeframe = r.timeframe
            AND f.ts = r.ts);
    GET DIAGNOSTICS n = ROW_COUNT;
    changed := changed + n;
    DELETE FROM bar_rollups r USING pulse_rollup_days d
    WHERE r.symbol_id = d.symbol_id AND r.timeframe = '1d' AND r.ts = (d.day::timestamp AT TIME ZONE 'UTC')
      AND NOT EXISTS (
          SELECT 1 FROM pulse_rollup_fresh f WHERE f.symbol_id = r.symbol_id AND f.timeframe = '1d' AND f.ts = r.ts);
    GET DIAGNOSTICS n = ROW_COUNT;
    changed := changed + n;

    DELETE FROM bar_rollup_invalidations i USING pulse_rollup_noted n WHERE i.id = n.id;
    DROP TABLE pulse_rollup_noted;
    DROP TABLE pulse_rollup_hours;
    DROP TABLE pulse_rollup_days;
    DROP TABLE pulse_rollup_spans;
    DROP TABLE pulse_rollup_fresh;
    RETURN changed;
END
$$;

-- Minutes stored before this migration: note all their hours, so the first refresh builds their rollups (until
-- then reads group the minutes, as before).
INSERT INTO bar_rollup_invalidations (symbol_id, hour)
SELECT DISTINCT symbol_id, date_bin('1 hour', ts, timestamptz '1970-01-01 00:00:00+00')
FROM bars WHERE timeframe = '1m';
