-- Retention: drops the yearly partitions of bars whose whole year ends on or before cutoff; returns their names.
-- Same advisory lock as pulse_ensure_bar_partitions, so creating and dropping never interleave.
CREATE FUNCTION pulse_drop_bar_partitions_before(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    part record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('pulse.bars.partitions'));
    FOR part IN
        SELECT c.relname::text AS name, substring(c.relname FROM 6)::integer AS year
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'bars'::regclass AND c.relname ~ '^bars_[0-9]{4}$'
        ORDER BY 2
    LOOP
        IF make_timestamptz(part.year + 1, 1, 1, 0, 0, 0, 'UTC') <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.name);
            RETURN NEXT part.name;
        END IF;
    END LOOP;
END
$$;
