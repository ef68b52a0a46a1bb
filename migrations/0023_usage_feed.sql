-- The carrier's usage feed, pulled by the worker for every tenant with a carrier: where the
-- tenant's reading stands (the carrier's position after the last committed page), when it
-- last read, how many records it received, and the last failure (cleared by the next
-- success). The records themselves go through the intake like a file's (format 'feed').
-- `reading_until` is a reader's lease: with several worker replicas, one reads a tenant's
-- feed at a time (a crashed reader's lease runs out).

CREATE TABLE carrier_usage_feeds (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants (id),
    position    text CHECK (length(position) <= 200),
    pulled_at   timestamptz,
    records     bigint NOT NULL DEFAULT 0 CHECK (records >= 0),
    last_error  text,
    failed_at   timestamptz,
    reading_until timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
SELECT tsunagi_tenant_table('carrier_usage_feeds');
