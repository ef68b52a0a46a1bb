-- Rating: what each taken usage record costs, and what each allowance pool has used.
--
-- A price version and an option keep their rating rules beside their columns (`rating`,
-- checked by tsunagi_core::rating::rules). usage_pools holds one row per pool and bill
-- period: a line's own counters, or a contract's when its plan shares the allowance; rating
-- locks the row, so two workers never consume the same allowance twice. usage_charges holds
-- one row per rated record with the price version used, partitioned by month like
-- usage_records (usage_partition_ensure now makes both).

ALTER TABLE plan_prices ADD COLUMN rating jsonb NOT NULL DEFAULT '{}';
ALTER TABLE options ADD COLUMN rating jsonb NOT NULL DEFAULT '{}';

CREATE TABLE usage_pools (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    -- The line, or the contract whose lines share the allowance.
    owner_id      uuid NOT NULL,
    shared        boolean NOT NULL,
    -- The first day of the bill period (the month in the tenant's time zone).
    period        date NOT NULL,
    -- Units used per meter ({"data": bytes, "voice": billed seconds, ...}).
    used          jsonb NOT NULL DEFAULT '{}',
    carried_bytes bigint NOT NULL DEFAULT 0 CHECK (carried_bytes >= 0),
    added_bytes   bigint NOT NULL DEFAULT 0 CHECK (added_bytes >= 0),
    charged       bigint NOT NULL DEFAULT 0 CHECK (charged >= 0),
    records       bigint NOT NULL DEFAULT 0 CHECK (records >= 0),
    version       integer NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, owner_id, period)
)
-- Every chunk rewrites the rows of the pools it rated: room on each page keeps those updates
-- HOT (pruned on the page, no index entry), without which the table bloated to 340 MB for
-- 10,000 pools in the intake bench and locking a chunk's pools took 565 ms instead of 22.
WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02);
SELECT tsunagi_tenant_table('usage_pools');

CREATE TABLE usage_charges (
    tenant_id     uuid NOT NULL,
    month         date NOT NULL,
    source        text NOT NULL,
    record_id     text NOT NULL,
    line_id       uuid NOT NULL,
    pool_owner    uuid NOT NULL,
    meter         text NOT NULL,
    units         bigint NOT NULL CHECK (units >= 0),
    -- Minor units of `currency`; never negative (a credit is a separate, explicit line).
    charge        bigint NOT NULL CHECK (charge >= 0),
    currency      text NOT NULL,
    plan_price_id uuid NOT NULL,
    rated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, month, source, record_id)
) PARTITION BY RANGE (month);
-- A pool's charges of a month (re-rating) and a line's (its pool's, filtered by line).
CREATE INDEX usage_charges_pool ON usage_charges (tenant_id, pool_owner, month);
-- Writable: re-rating replaces a record's charge (records themselves are insert-only).
SELECT tsunagi_tenant_table('usage_charges');

-- Makes the partitions of `m`'s month (records and charges) if they are missing.
CREATE OR REPLACE FUNCTION usage_partition_ensure(m date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    first date := date_trunc('month', m)::date;
    parent text;
    name text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['usage_records', 'usage_charges'] LOOP
        name := format('%s_%s', parent, to_char(first, 'YYYY_MM'));
        CONTINUE WHEN to_regclass(name) IS NOT NULL;
        BEGIN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                name, parent, first, (first + interval '1 month')::date);
        EXCEPTION WHEN duplicate_table THEN
            CONTINUE;
        END;
        PERFORM tsunagi_tenant_table(name::regclass, parent = 'usage_charges');
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION usage_partition_ensure(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION usage_partition_ensure(date) TO tsunagi_app;

-- Every month that has records gets its charges partition; and the months around now.
SELECT usage_partition_ensure(month) FROM (
    SELECT DISTINCT to_date(substring(c.relname FROM '(\d{4}_\d{2})$'), 'YYYY_MM') AS month
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'usage_records'::regclass
) m;
SELECT usage_partition_ensure((date_trunc('month', now()) + make_interval(months => k))::date)
FROM generate_series(-2, 2) AS k;
