-- The ingestion ledger: one row per batch of bars written, in the same transaction as the bars, so a batch is
-- either stored and recorded or neither (a crash before COMMIT leaves no trace and the batch is fetched again).
CREATE TABLE ingestion_batches (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- where the batch came from: 'csv:GOOG.csv', 'alphavantage:TIME_SERIES_INTRADAY', …
    source       text NOT NULL,
    symbol_id    integer NOT NULL REFERENCES symbols (id),
    timeframe    text NOT NULL,
    first_ts     timestamptz NOT NULL,
    last_ts      timestamptz NOT NULL CHECK (last_ts >= first_ts),
    bar_count    integer NOT NULL,
    -- FNV-1a 64 of the batch's COPY payload: the same bars give the same checksum
    checksum     text NOT NULL,
    -- rows inserted or changed by this batch (0 for a replay of stored bars)
    rows_written integer NOT NULL,
    -- 'copy' (new range, straight into bars) or 'stagedUpsert'
    path         text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ingestion_batches_range ON ingestion_batches (symbol_id, timeframe, first_ts, last_ts);
CREATE INDEX ingestion_batches_latest ON ingestion_batches (source, symbol_id, timeframe, last_ts DESC);
