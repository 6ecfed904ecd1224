-- Corporate actions (splits and cash dividends) per symbol, and which adjustment a symbol's stored prices already
-- carry, so reads can serve raw, split-adjusted, dividend-adjusted or fully adjusted bars from one stored series.
CREATE TABLE corporate_actions (
    symbol_id   integer NOT NULL REFERENCES symbols (id),
    -- the first session that trades without the split or the dividend (US/Eastern date)
    ex_date     date NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('split', 'dividend')),
    -- split: new shares per old share (4 for a 4-for-1 split, 0.5 for a 1-for-2 reverse split);
    -- dividend: cash per share, in the basis of the stored prices
    value       double precision NOT NULL CHECK (value > 0),
    PRIMARY KEY (symbol_id, ex_date, kind)
);

-- What the stored bars of a symbol are: 'raw' (as traded), 'split' (split-adjusted, e.g. Alpha Vantage intraday)
-- or 'all' (split- and dividend-adjusted).
ALTER TABLE symbols ADD COLUMN price_adjustment text NOT NULL DEFAULT 'raw'
    CHECK (price_adjustment IN ('raw', 'split', 'all'));
