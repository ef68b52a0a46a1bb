-- The notification hub: who hears about which event by which channel, templates, customer
-- preferences, webhook endpoints (TMF688 hub subscriptions), one delivery row per (event,
-- channel, recipient) with its attempts, quota once-only marks and digests.
-- PostgreSQL is the source of truth: an outbox row is `published` once it is in the Redis
-- stream and `processed` once its deliveries exist; anything published but not processed
-- is published again (after a Redis loss, or when a stream trimmed it unread).

ALTER TABLE outbox ADD COLUMN processed_at timestamptz;
CREATE INDEX outbox_unprocessed ON outbox (published_at) WHERE processed_at IS NULL;

-- Wake the relay when events commit (one notification per statement, not per row).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tsunagi_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- A user's language for notifications; NULL means the tenant's locale.
ALTER TABLE users ADD COLUMN locale text CHECK (locale IS NULL OR locale ~ '^[a-z]{2}(-[A-Z]{2})?$');

CREATE TABLE notification_rules (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    topic            text NOT NULL CHECK (topic ~ '^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$'),
    audience         text NOT NULL CHECK (audience IN ('role', 'customer_admins', 'customer_users')),
    role             text,
    channel          text NOT NULL CHECK (channel IN ('email', 'console')),
    fallback_channel text CHECK (fallback_channel IN ('email', 'console')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK ((audience = 'role') = (role IS NOT NULL)),
    CHECK (channel <> 'console' OR audience = 'role'),
    CHECK (fallback_channel IS DISTINCT FROM channel)
);
SELECT tsunagi_tenant_table('notification_rules');

CREATE TABLE notification_templates (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    topic      text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('email', 'console')),
    locale     text NOT NULL CHECK (locale ~ '^[a-z]{2}$'),
    subject    text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, topic, channel, locale)
);
SELECT tsunagi_tenant_table('notification_templates');

CREATE TABLE notification_preferences (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    topic      text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('email', 'console')),
    opted_out  boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, topic, channel),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT tsunagi_tenant_table('notification_preferences');

CREATE TABLE webhook_endpoints (
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    id                    uuid NOT NULL,
    url                   text NOT NULL CHECK (length(url) <= 2000),
    description           text NOT NULL DEFAULT '',
    topics                text[] NOT NULL,
    secret_enc            bytea NOT NULL,
    previous_secret_enc   bytea,
    previous_secret_until timestamptz,
    status                text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason       text,
    disabled_at           timestamptz,
    failing_since         timestamptz,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
SELECT tsunagi_tenant_table('webhook_endpoints');

CREATE TABLE hub_deliveries (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    event_id        uuid NOT NULL,
    topic           text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook', 'console')),
    recipient       text NOT NULL,
    user_id         uuid,
    endpoint_id     uuid,
    locale          text,
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL,
    critical        boolean NOT NULL DEFAULT false,
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped', 'digested')),
    reason          text,
    attempts        integer NOT NULL DEFAULT 0,
    -- Attempts before the last replay: the retry schedule restarts after a replay.
    schedule_base   integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error      text,
    provider        text,
    digest_id       uuid,
    fallback_channel text,
    fallback_of     uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    -- One delivery per (event, channel, recipient): replays and redeliveries never duplicate.
    CONSTRAINT hub_deliveries_once UNIQUE (tenant_id, event_id, channel, recipient)
);
CREATE INDEX hub_deliveries_due ON hub_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX hub_deliveries_endpoint ON hub_deliveries (tenant_id, endpoint_id, created_at DESC) WHERE endpoint_id IS NOT NULL;
CREATE INDEX hub_deliveries_digest ON hub_deliveries (tenant_id, digest_id) WHERE digest_id IS NOT NULL;
CREATE INDEX hub_deliveries_recent ON hub_deliveries (tenant_id, created_at DESC);
SELECT tsunagi_tenant_table('hub_deliveries');

CREATE TABLE hub_attempts (
    tenant_id    uuid NOT NULL,
    delivery_id  uuid NOT NULL,
    n            integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    duration_ms  integer NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('delivered', 'retryable', 'permanent')),
    status_code  integer,
    error        text,
    provider     text,
    PRIMARY KEY (tenant_id, delivery_id, n),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES hub_deliveries (tenant_id, id)
);
SELECT tsunagi_tenant_table('hub_attempts', false);

-- Quota alerts go out once per line, threshold and cycle.
CREATE TABLE hub_quota_marks (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    line_id    text NOT NULL,
    threshold  integer NOT NULL,
    cycle      text NOT NULL,
    event_id   uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, line_id, threshold, cycle)
);
SELECT tsunagi_tenant_table('hub_quota_marks', false);

-- A digest collects non-critical alerts for one recipient and channel within a window.
CREATE TABLE hub_digests (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    key        text NOT NULL,
    topic      text NOT NULL,
    channel    text NOT NULL,
    recipient  text NOT NULL,
    user_id    uuid,
    locale     text NOT NULL,
    window_end timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'flushed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX hub_digests_open ON hub_digests (tenant_id, key) WHERE status = 'open';
CREATE INDEX hub_digests_due ON hub_digests (window_end) WHERE status = 'open';
SELECT tsunagi_tenant_table('hub_digests');

-- The worker's cross-tenant claims. Row locks taken here last until the caller commits.
CREATE FUNCTION hub_claim_outbox(p_limit integer)
RETURNS TABLE (tenant_id uuid, id uuid, seq bigint, topic text, aggregate_type text,
               aggregate_id text, payload jsonb, request_id text, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    SELECT o.tenant_id, o.id, o.seq, o.topic, o.aggregate_type, o.aggregate_id, o.payload,
           o.request_id, o.created_at
    FROM outbox o WHERE o.published_at IS NULL ORDER BY o.seq LIMIT p_limit
    FOR UPDATE SKIP LOCKED
$$;

CREATE FUNCTION hub_mark_published(p_seqs bigint[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    UPDATE outbox SET published_at = now() WHERE seq = ANY (p_seqs) AND published_at IS NULL
$$;

-- Marks events of the caller's tenant processed (called in the tenant transaction that
-- created their deliveries).
CREATE FUNCTION hub_mark_processed(p_ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    UPDATE outbox SET processed_at = now()
    WHERE tenant_id = app_tenant() AND id = ANY (p_ids) AND processed_at IS NULL
$$;

-- Publishes again what was published before `p_before` and never processed.
CREATE FUNCTION hub_republish(p_before timestamptz) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH r AS (
        UPDATE outbox SET published_at = NULL
        WHERE processed_at IS NULL AND published_at IS NOT NULL AND published_at < p_before
        RETURNING 1)
    SELECT count(*) FROM r
$$;

-- Due attempts across tenants, leased so another worker does not take them meanwhile.
CREATE FUNCTION hub_claim_due(p_limit integer, p_lease_ms integer)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    UPDATE hub_deliveries d
    SET next_attempt_at = now() + make_interval(secs => p_lease_ms / 1000.0)
    FROM (SELECT x.tenant_id, x.id FROM hub_deliveries x
          WHERE x.status = 'pending' AND x.next_attempt_at <= now()
          ORDER BY x.next_attempt_at LIMIT p_limit FOR UPDATE SKIP LOCKED) due
    WHERE d.tenant_id = due.tenant_id AND d.id = due.id
    RETURNING d.tenant_id, d.id
$$;

CREATE FUNCTION hub_due_digests(p_limit integer) RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT g.tenant_id, g.id FROM hub_digests g
    WHERE g.status = 'open' AND g.window_end <= now() ORDER BY g.window_end LIMIT p_limit
$$;

DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['hub_claim_outbox(integer)', 'hub_mark_published(bigint[])',
        'hub_mark_processed(uuid[])', 'hub_republish(timestamptz)', 'hub_claim_due(integer, integer)',
        'hub_due_digests(integer)'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tsunagi_app', f);
    END LOOP;
END $$;
