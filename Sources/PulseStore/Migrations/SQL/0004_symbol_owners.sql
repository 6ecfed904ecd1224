-- Who ingests which symbol, durably: the epoch of the latest owner (each new owner takes the next one and fences
-- the tick log with it) and the high-water mark of the symbol's tick sequence, so a Redis restarted empty does not
-- restart the numbering. Ownership itself is a session advisory lock (pg_try_advisory_lock) on the owner's
-- dedicated connection: when that session ends, the lock is gone.
CREATE TABLE symbol_owners (
    symbol      text PRIMARY KEY,
    epoch       bigint NOT NULL DEFAULT 0,
    high_water  bigint NOT NULL DEFAULT 0,
    owner       text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
