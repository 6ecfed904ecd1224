-- Symbols and bars. Bars are range-partitioned by ts, one partition per calendar year (UTC), created on demand
-- by pulse_ensure_bar_partitions for whatever range a write covers.

CREATE TABLE symbols (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    symbol      text NOT NULL UNIQUE CHECK (symbol <> ''),
    name        text,
    exchange    text,
    currency    text NOT NULL DEFAULT 'USD',
    -- where its bars come from: 'csv', 'alphavantage', 'simulated', …
    source      text NOT NULL DEFAULT 'csv',
    -- whether an ingester keeps it current
    tracking    text NOT NULL DEFAULT 'inactive' CHECK (tracking IN ('inactive', 'active', 'paused')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bars (
    symbol_id   integer NOT NULL REFERENCES symbols (id),
    -- '1m', '5m', '1h', '1d', … (PulseAnalytics' Timeframe names)
    timeframe   text NOT NULL,
    -- the bar's open time
    ts          timestamptz NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    volume      double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (symbol_id, timeframe, ts)
) PARTITION BY RANGE (ts);

-- Creates the yearly partitions bars_YYYY covering [first_ts, last_ts]; returns how many it created.
-- Serialised by a transaction-level advisory lock, so concurrent writers never race on CREATE TABLE.
CREATE FUNCTION pulse_ensure_bar_partitions(first_ts timestamptz, last_ts timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first_year integer := extract(year FROM first_ts AT TIME ZONE 'UTC');
    last_year  integer := extract(year FROM last_ts AT TIME ZONE 'UTC');
    created    integer := 0;
    part_name  text;
BEGIN
    IF first_ts > last_ts THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('pulse.bars.partitions'));
    FOR y IN first_year .. last_year LOOP
        part_name := format('bars_%s', y);
        IF to_regclass(format('%I.%I', current_schema(), part_name)) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF bars FOR VALUES FROM (%L) TO (%L)',
                part_name,
                make_timestamptz(y, 1, 1, 0, 0, 0, 'UTC'),
                make_timestamptz(y + 1, 1, 1, 0, 0, 0, 'UTC'));
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END
$$;
