-- The hub's hot path, measured (docs/benchmarks.md): a delivery row is written twice, when
-- it is created and when its outcome is recorded. The outcome used to change `status` and
-- `next_attempt_at`, both in the partial "due" index, so every outcome was a non-HOT update
-- that wrote a new entry into each of the table's five indexes (and made PostgreSQL hunt for
-- dead duplicates page by page). The schedule of pending deliveries now lives in a narrow
-- queue table kept in step by statement triggers, so no index of `hub_deliveries` covers a
-- column the outcome changes and, with room left on each page, the outcome is a HOT update.

CREATE TABLE hub_due (
    tenant_id   uuid NOT NULL,
    delivery_id uuid NOT NULL,
    due_at      timestamptz NOT NULL,
    -- Keyed by the delivery alone: with no index leading on `tenant_id`, the planner cannot
    -- pick "all of this tenant's queue" over looking the batch's deliveries up.
    PRIMARY KEY (delivery_id)
);
CREATE INDEX hub_due_at ON hub_due (due_at);
-- A queue: every row is inserted and deleted within seconds. Vacuum it by row count, not by
-- a fraction of its (tiny) size, so dead rows never pile up between autovacuum runs.
ALTER TABLE hub_due SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                         autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000);
SELECT tsunagi_tenant_table('hub_due');

INSERT INTO hub_due (tenant_id, delivery_id, due_at)
SELECT tenant_id, id, coalesce(next_attempt_at, now()) FROM hub_deliveries WHERE status = 'pending';

DROP INDEX hub_deliveries_due;
-- Half of each page stays free for the outcome's version of its rows.
ALTER TABLE hub_deliveries SET (fillfactor = 50);

-- A pending delivery is due at its `next_attempt_at`; anything else is not due.
CREATE FUNCTION hub_due_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hub_due (tenant_id, delivery_id, due_at)
    SELECT n.tenant_id, n.id, coalesce(n.next_attempt_at, now()) FROM new_rows n
    WHERE n.status = 'pending';
    RETURN NULL;
END $$;
CREATE TRIGGER hub_due_on_insert AFTER INSERT ON hub_deliveries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_due_on_insert();

-- On update only what changed moves: a row leaving `pending` leaves the queue; a row entering
-- it, or rescheduled, is (re)queued at its new time. A lease taken on the queue row is left
-- alone while the delivery's schedule does not change.
CREATE FUNCTION hub_due_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM hub_due d
    WHERE d.delivery_id = ANY (ARRAY(SELECT n.id FROM new_rows n WHERE n.status <> 'pending'));
    INSERT INTO hub_due (tenant_id, delivery_id, due_at)
    SELECT n.tenant_id, n.id, coalesce(n.next_attempt_at, now())
    FROM new_rows n JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
    WHERE n.status = 'pending'
      AND (o.status <> 'pending' OR o.next_attempt_at IS DISTINCT FROM n.next_attempt_at)
    ON CONFLICT (delivery_id) DO UPDATE SET due_at = EXCLUDED.due_at;
    RETURN NULL;
END $$;
-- Planned afresh on each call: a plan cached while the queue was nearly empty would scan it
-- whole once it has grown (or filled with dead rows between vacuums).
ALTER FUNCTION hub_due_on_insert() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION hub_due_on_update() SET plan_cache_mode = force_custom_plan;
CREATE TRIGGER hub_due_on_update AFTER UPDATE ON hub_deliveries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hub_due_on_update();

-- Attempts are written only by the recorder, for deliveries it has just loaded in the same
-- tenant transaction, and deliveries are never deleted: the per-row key-share lock the
-- foreign key took on the delivery (and its WAL record) bought nothing.
ALTER TABLE hub_attempts DROP CONSTRAINT hub_attempts_tenant_id_delivery_id_fkey;

-- Due attempts across tenants, leased so another worker does not take them meanwhile.
CREATE OR REPLACE FUNCTION hub_claim_due(p_limit integer, p_lease_ms integer)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    UPDATE hub_due q
    SET due_at = now() + make_interval(secs => p_lease_ms / 1000.0)
    FROM (SELECT x.tenant_id, x.delivery_id FROM hub_due x WHERE x.due_at <= now()
          ORDER BY x.due_at LIMIT p_limit FOR UPDATE SKIP LOCKED) due
    WHERE q.delivery_id = due.delivery_id
    RETURNING q.tenant_id, q.delivery_id
$$;

-- The relay's batch in one statement: claims unpublished rows in order and marks them
-- published; the caller XADDs them before it commits (a failure rolls the mark back). The
-- claimed rows are updated by their physical address (a TID scan), a plan that does not
-- depend on statistics: a join on `seq` turned into a scan of the whole backlog per row
-- when the planner took the backlog for small.
CREATE FUNCTION hub_publish_batch(p_limit integer)
RETURNS TABLE (tenant_id uuid, id uuid, seq bigint, topic text, aggregate_type text,
               aggregate_id text, payload jsonb, request_id text, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH c AS (
        SELECT o.ctid AS t FROM outbox o WHERE o.published_at IS NULL ORDER BY o.seq LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE outbox o SET published_at = now() WHERE o.ctid = ANY (ARRAY(SELECT t FROM c))
    RETURNING o.tenant_id, o.id, o.seq, o.topic, o.aggregate_type, o.aggregate_id, o.payload,
              o.request_id, o.created_at
$$;

-- Events in flight: published and not yet processed (what republishing looks at). An
-- unpublished event is not in flight, and the planner can no longer mistake this index for
-- a way to find a batch of events by id.
DROP INDEX outbox_unprocessed;
CREATE INDEX outbox_in_flight ON outbox (published_at)
    WHERE processed_at IS NULL AND published_at IS NOT NULL;

-- Claims the caller tenant's events for planning by marking them processed; returns those it
-- marked (an event another planner already processed is not returned). Held until commit.
CREATE FUNCTION hub_take_unprocessed(p_ids uuid[]) RETURNS SETOF uuid
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    UPDATE outbox SET processed_at = now()
    WHERE tenant_id = app_tenant() AND id = ANY (p_ids) AND processed_at IS NULL
    RETURNING id
$$;

DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['hub_publish_batch(integer)', 'hub_take_unprocessed(uuid[])'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tsunagi_app', f);
    END LOOP;
END $$;

DROP FUNCTION hub_claim_outbox(integer);
DROP FUNCTION hub_mark_published(bigint[]);
DROP FUNCTION hub_mark_processed(uuid[]);
