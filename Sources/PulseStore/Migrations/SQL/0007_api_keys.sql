-- API keys: only the SHA-256 of each key is kept (the keys are 256-bit random, so a plain hash is as strong as a
-- slow one and lets every call be checked cheaply). Scopes are a subset of read, load, backtest, admin. Limits per
-- key: calls per second (rate) and burst for its token bucket, and open server streams; 0 means "no limit".
CREATE TABLE api_keys (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    key_hash     bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    key_prefix   text NOT NULL,
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'load', 'backtest', 'admin']::text[]),
    rate         double precision NOT NULL DEFAULT 0 CHECK (rate >= 0),
    burst        integer NOT NULL DEFAULT 0 CHECK (burst >= 0),
    max_streams  integer NOT NULL DEFAULT 0 CHECK (max_streams >= 0),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
