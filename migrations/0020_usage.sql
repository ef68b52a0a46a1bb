-- Usage: the carrier's records of data sessions, calls and messages, taken exactly once.
--
-- usage_records is partitioned by the record's month in the tenant's time zone (`month`,
-- the first day of it), so a month can be billed, archived or dropped as a unit. Its key is
-- (tenant, month, source, record id): a record re-sent within its month changes nothing.
-- Partitions are made on demand by usage_partition_ensure (the application role cannot run
-- DDL itself). Records that cannot be accepted wait in usage_rejections with their reason.
-- Every submission is one usage_batches row with its counts.

CREATE TABLE usage_batches (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    source       text NOT NULL,
    format       text NOT NULL CHECK (format IN ('ndjson', 'csv', 'graphql', 'feed', 'reprocess')),
    submitted_by text NOT NULL,
    status       text NOT NULL DEFAULT 'receiving' CHECK (status IN ('receiving', 'completed', 'failed')),
    received     bigint NOT NULL DEFAULT 0,
    accepted     bigint NOT NULL DEFAULT 0,
    duplicates   bigint NOT NULL DEFAULT 0,
    rejected     bigint NOT NULL DEFAULT 0,
    failure      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX usage_batches_recent ON usage_batches (tenant_id, created_at DESC);
SELECT tsunagi_tenant_table('usage_batches');

CREATE TABLE usage_records (
    tenant_id    uuid NOT NULL,
    month        date NOT NULL,
    source       text NOT NULL,
    record_id    text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('data', 'voice', 'sms')),
    msisdn       text NOT NULL,
    line_id      uuid NOT NULL,
    contract_id  uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    bytes_up     bigint NOT NULL DEFAULT 0 CHECK (bytes_up >= 0),
    bytes_down   bigint NOT NULL DEFAULT 0 CHECK (bytes_down >= 0),
    apn          text,
    seconds      integer NOT NULL DEFAULT 0 CHECK (seconds >= 0),
    destination  text CHECK (destination IN ('domestic', 'international')),
    roaming_zone text,
    batch_id     uuid NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, month, source, record_id)
) PARTITION BY RANGE (month);
CREATE INDEX usage_records_line ON usage_records (tenant_id, line_id, occurred_at);
-- RLS on the parent governs every query through it; each partition has the same policies.
SELECT tsunagi_tenant_table('usage_records', false);

-- Makes the partition of `m`'s month if it is missing. SECURITY DEFINER: the application
-- role may not create tables. Safe to call concurrently (a lost race is ignored).
CREATE FUNCTION usage_partition_ensure(m date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    first date := date_trunc('month', m)::date;
    name text := format('usage_records_%s', to_char(first, 'YYYY_MM'));
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF usage_records FOR VALUES FROM (%L) TO (%L)',
            name, first, (first + interval '1 month')::date);
    EXCEPTION WHEN duplicate_table THEN
        RETURN;
    END;
    -- Reached through the parent only, whose policies govern; a partition gets the same
    -- isolation in case anyone ever reads it directly.
    PERFORM tsunagi_tenant_table(name::regclass, false);
END $$;
REVOKE ALL ON FUNCTION usage_partition_ensure(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION usage_partition_ensure(date) TO tsunagi_app;

-- The months around the migration exist from the start.
SELECT usage_partition_ensure((date_trunc('month', now()) + make_interval(months => k))::date)
FROM generate_series(-2, 2) AS k;

-- A time-ordered UUID (version 7) made in SQL, for rows a set-based statement creates:
-- lists in id order are in creation order.
CREATE FUNCTION tsunagi_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
        substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;
GRANT EXECUTE ON FUNCTION tsunagi_uuid_v7() TO tsunagi_app;

CREATE TABLE usage_rejections (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    batch_id     uuid NOT NULL,
    source       text NOT NULL,
    -- Where it was in the submission (NDJSON line, CSV row, GraphQL list index), from 1.
    position     bigint NOT NULL,
    record_id    text,
    -- The record as submitted, each field as text (names as in NDJSON).
    fields       jsonb NOT NULL,
    -- A record that could not be read at all keeps its raw text.
    raw          text,
    code         text NOT NULL CHECK (code IN ('malformed', 'unknown_msisdn', 'line_not_active')),
    field        text,
    reason       text NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reprocessed', 'discarded')),
    attempts     integer NOT NULL DEFAULT 1,
    resolution   text,
    resolved_by  text,
    resolved_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
-- One open rejection per record: a re-sent record that is still wrong updates it.
CREATE UNIQUE INDEX usage_rejections_open ON usage_rejections (tenant_id, source, record_id)
    WHERE status = 'open' AND record_id IS NOT NULL;
CREATE INDEX usage_rejections_batch ON usage_rejections (tenant_id, batch_id, position);
CREATE INDEX usage_rejections_list ON usage_rejections (tenant_id, status, created_at DESC, id);
SELECT tsunagi_tenant_table('usage_rejections');
