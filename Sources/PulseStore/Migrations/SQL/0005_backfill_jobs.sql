-- Resumable backfills (LoadSymbol from Alpha Vantage): one row per job and one per committed unit of it (a month
-- of intraday history, `YYYY-MM`, or `full` for a daily series). A unit's row is written in the same transaction
-- as its bars, so a job resumed after a restart or a spent quota neither skips nor repeats a unit.
CREATE TABLE backfill_jobs (
    -- BackfillJob.ID: 'IBM/1min/2020-01/2024-12', 'IBM/daily/full'
    id             text PRIMARY KEY,
    symbol         text NOT NULL,
    -- '1min' … '60min', or 'daily'
    series         text NOT NULL,
    from_month     text NOT NULL,
    through_month  text NOT NULL,
    extended_hours boolean NOT NULL DEFAULT true,
    units_total    integer NOT NULL CHECK (units_total > 0),
    -- running: a process works on it; paused: waiting for resume_after (quota spent, rate limited);
    -- completed; failed: an error that retrying cannot fix (bad call, premium endpoint), in last_error
    state          text NOT NULL DEFAULT 'running'
                   CHECK (state IN ('running', 'paused', 'completed', 'failed')),
    resume_after   timestamptz,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX backfill_jobs_unfinished ON backfill_jobs (state) WHERE state IN ('running', 'paused');

CREATE TABLE backfill_units (
    job_id       text NOT NULL REFERENCES backfill_jobs (id) ON DELETE CASCADE,
    unit         text NOT NULL,
    bar_count    integer NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, unit)
);
