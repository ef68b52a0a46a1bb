-- The carrier, connected: each tenant's carrier (endpoint, sealed API key and callback
-- secret), the workers' schedule on every provisioning job, every attempt at the carrier,
-- the carrier's sequence on each line, the activation lead time, and callbacks received.

CREATE TABLE tenant_carriers (
    tenant_id              uuid NOT NULL REFERENCES tenants (id),
    endpoint               text NOT NULL CHECK (length(endpoint) <= 500),
    api_key_enc            bytea NOT NULL,
    callback_secret_enc    bytea NOT NULL,
    enabled                boolean NOT NULL DEFAULT true,
    timeout_ms             integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 100 AND 60000),
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
SELECT tsunagi_tenant_table('tenant_carriers');

-- A job the workers own has `next_attempt_at` (NULL: a person's, or parked after its
-- retries ran out); `waiting_for` says whether the next step sends the command again or
-- first asks the carrier for the line's status (after an unknown outcome); `lease_until`
-- is how long the worker that claimed it may keep it.
ALTER TABLE provisioning_jobs
    DROP CONSTRAINT provisioning_jobs_action_check,
    ADD CONSTRAINT provisioning_jobs_action_check
        CHECK (action IN ('activate', 'suspend', 'resume', 'terminate', 'swap_sim', 'set_speed_limit')),
    -- What the command needs beyond the line (the speed limit).
    ADD COLUMN params          jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN waiting_for     text CHECK (waiting_for IN ('send', 'status')),
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN last_error      text CHECK (last_error IS NULL OR length(last_error) <= 1000),
    ADD COLUMN exhausted_at    timestamptz;
CREATE INDEX provisioning_jobs_due ON provisioning_jobs (next_attempt_at)
    WHERE status IN ('queued', 'running') AND next_attempt_at IS NOT NULL;

-- Every call made for a job: the command sent, or the status asked; what came back.
CREATE TABLE provisioning_attempts (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    job_id      uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('command', 'status')),
    request     jsonb NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('applied', 'refused', 'transient', 'unknown', 'matched', 'differs', 'missing')),
    answer      text NOT NULL CHECK (length(answer) <= 2000),
    duration_ms integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES provisioning_jobs (tenant_id, id)
);
CREATE INDEX provisioning_attempts_job ON provisioning_attempts (tenant_id, job_id, at);
SELECT tsunagi_tenant_table('provisioning_attempts', false);

-- The carrier's sequence of the last change we know of (callbacks carry it: an older one
-- never overrides a newer state), and order accepted → line active, for the KPIs.
ALTER TABLE lines
    ADD COLUMN carrier_sequence   bigint,
    ADD COLUMN carrier_synced_at  timestamptz,
    ADD COLUMN activation_lead_ms bigint;

-- Callbacks the carrier sent, once each (its event id), with what they did.
CREATE TABLE carrier_callbacks (
    tenant_id   uuid NOT NULL,
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    msisdn      text NOT NULL,
    sequence    bigint NOT NULL,
    body        jsonb NOT NULL,
    outcome     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_id)
);
SELECT tsunagi_tenant_table('carrier_callbacks', false);

-- The workers claim due jobs of every tenant (SKIP LOCKED: many workers, each job once).
-- A job found `running` past its lease was claimed by a worker that died after (maybe)
-- sending: its outcome is unknown, so the next step asks the carrier first.
CREATE FUNCTION provisioning_claim(batch integer, lease_secs double precision)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    UPDATE provisioning_jobs j
       SET status = 'running',
           lease_until = now() + make_interval(secs => lease_secs),
           waiting_for = CASE WHEN j.status = 'running' THEN 'status' ELSE j.waiting_for END,
           updated_at = now()
      FROM (SELECT p.tenant_id, p.id FROM provisioning_jobs p
             WHERE p.status IN ('queued', 'running') AND p.next_attempt_at IS NOT NULL
               AND ((p.status = 'queued' AND p.next_attempt_at <= now())
                 OR (p.status = 'running' AND p.lease_until < now()))
             ORDER BY p.next_attempt_at
             LIMIT batch
             FOR UPDATE SKIP LOCKED) due
     WHERE j.tenant_id = due.tenant_id AND j.id = due.id
 RETURNING j.tenant_id, j.id
$$;
REVOKE ALL ON FUNCTION provisioning_claim(integer, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provisioning_claim(integer, double precision) TO tsunagi_app;

-- The carrier watch (pending, then review) is for steps no worker owns.
CREATE OR REPLACE FUNCTION tenants_with_waiting_jobs(older_than timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT tenant_id FROM provisioning_jobs
     WHERE status = 'queued' AND next_attempt_at IS NULL AND exhausted_at IS NULL AND created_at <= older_than
$$;

-- Callbacks arrive on a tenant's own URL, before anyone is signed in: the receiver reads
-- the tenant's sealed callback secret to verify the signature.
CREATE FUNCTION carrier_callback_secret(tenant uuid) RETURNS bytea
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT callback_secret_enc FROM tenant_carriers WHERE tenant_id = tenant
$$;
REVOKE ALL ON FUNCTION carrier_callback_secret(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION carrier_callback_secret(uuid) TO tsunagi_app;

-- Reconciliation: our books against the carrier's, per tenant, on a schedule and on
-- demand. A run pages through the carrier's inventory beside our lines; every line that
-- differs is an item, repaired when a written rule says it is safe (docs/carrier-api.md),
-- else left for a person. Callbacks that show drift add items of their own (no run).
CREATE TABLE reconciliation_runs (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    trigger       text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    lines_checked integer NOT NULL DEFAULT 0,
    in_sync       integer NOT NULL DEFAULT 0,
    drifted       integer NOT NULL DEFAULT 0,
    repaired      integer NOT NULL DEFAULT 0,
    needs_person  integer NOT NULL DEFAULT 0,
    error         text,
    started_by    text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
SELECT tsunagi_tenant_table('reconciliation_runs');

CREATE TABLE reconciliation_items (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    run_id      uuid,
    source      text NOT NULL CHECK (source IN ('run', 'callback', 'resync')),
    msisdn      text NOT NULL,
    line_id     uuid,
    kind        text NOT NULL CHECK (kind IN ('missing_at_carrier', 'missing_here', 'state_differs', 'sim_differs', 'ported_out')),
    ours        jsonb,
    theirs      jsonb,
    action      text NOT NULL CHECK (action IN ('repaired', 'needs_person')),
    rule        text NOT NULL,
    note        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX reconciliation_items_run ON reconciliation_items (tenant_id, run_id, id);
CREATE INDEX reconciliation_items_open ON reconciliation_items (tenant_id, created_at) WHERE action = 'needs_person';
SELECT tsunagi_tenant_table('reconciliation_items', false);

-- The tenants whose carrier is connected (for the scheduled reconciliation).
CREATE FUNCTION tenants_with_carrier() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT tenant_id FROM tenant_carriers WHERE enabled
$$;
REVOKE ALL ON FUNCTION tenants_with_carrier() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenants_with_carrier() TO tsunagi_app;

-- Lines by number, in number order, for the reconciliation's merge with the inventory.
CREATE INDEX lines_msisdn_order ON lines (tenant_id, msisdn COLLATE "C", created_at);
