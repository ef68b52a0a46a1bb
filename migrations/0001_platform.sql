-- Platform core: tenants, users, sessions, API keys, tenant policies, audit chain, outbox,
-- idempotency keys. Forward-only. Runs as the owner role (superuser or BYPASSRLS); the
-- application connects as `tsunagi_app`, which owns nothing and cannot bypass RLS.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tsunagi_app') THEN
        CREATE ROLE tsunagi_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END $$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tsunagi_app;

-- The tenant context of the current transaction, set by TenantTx with set_config(..., true).
-- `app.tenant_id` is the write scope; `app.visible_tenants` the read scope (own + descendants).
CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
CREATE FUNCTION app_visible() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('app.visible_tenants', true), '')::uuid[], '{}'::uuid[])
$$;

-- Applies the standard tenant isolation to a table with a `tenant_id` column: RLS enabled
-- and forced, read = visible set, write = own tenant, and the app role's grants.
-- Every tenant-owned table in every later migration calls this.
CREATE FUNCTION tsunagi_tenant_table(t regclass, writable boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_read ON %s FOR SELECT USING (tenant_id = ANY (app_visible()))', t);
    EXECUTE format('CREATE POLICY tenant_insert ON %s FOR INSERT WITH CHECK (tenant_id = app_tenant())', t);
    IF writable THEN
        EXECUTE format('CREATE POLICY tenant_update ON %s FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant())', t);
        EXECUTE format('CREATE POLICY tenant_delete ON %s FOR DELETE USING (tenant_id = app_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO tsunagi_app', t);
    ELSE
        EXECUTE format('GRANT SELECT, INSERT ON %s TO tsunagi_app', t);
    END IF;
END $$;

-- Tenants form a tree: platform -> mvno -> reseller.
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES tenants (id),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('platform', 'mvno', 'reseller')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'platform') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX tenants_one_platform ON tenants ((true)) WHERE kind = 'platform';
CREATE INDEX tenants_parent ON tenants (parent_id);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
-- Children of a visible tenant are descendants too (and this lets a new child be RETURNed
-- before the visible set, computed at the start of the request, knows it).
CREATE POLICY tenant_read ON tenants FOR SELECT
    USING (id = ANY (app_visible()) OR parent_id = ANY (app_visible()));
-- A tenant creates children of itself only.
CREATE POLICY tenant_insert ON tenants FOR INSERT WITH CHECK (parent_id = app_tenant());
-- Settings of itself, status of its descendants (the service forbids suspending yourself).
CREATE POLICY tenant_update ON tenants FOR UPDATE
    USING (id = ANY (app_visible())) WITH CHECK (id = ANY (app_visible()));
GRANT SELECT, INSERT, UPDATE ON tenants TO tsunagi_app;

-- Resolves a tenant for authentication, before any context exists: whether it and all its
-- ancestors are active, and its visible set (itself and all descendants).
CREATE FUNCTION auth_tenant(tid uuid)
RETURNS TABLE (slug text, kind text, active boolean, visible uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    WITH RECURSIVE up AS (
        SELECT t.id, t.parent_id, t.status FROM tenants t WHERE t.id = tid
        UNION ALL
        SELECT p.id, p.parent_id, p.status FROM tenants p JOIN up ON p.id = up.parent_id
    ), down AS (
        SELECT t.id FROM tenants t WHERE t.id = tid
        UNION ALL
        SELECT c.id FROM tenants c JOIN down ON c.parent_id = down.id
    )
    SELECT t.slug, t.kind,
           NOT EXISTS (SELECT 1 FROM up WHERE up.status <> 'active'),
           ARRAY(SELECT id FROM down)
    FROM tenants t WHERE t.id = tid
$$;
CREATE FUNCTION auth_tenant_by_slug(s text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id FROM tenants WHERE slug = s
$$;
-- Settings of a tenant and its ancestors (nearest first), for inheritance. Only for a tenant
-- the caller can see.
CREATE FUNCTION tenant_settings_chain(tid uuid) RETURNS TABLE (depth integer, settings jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    WITH RECURSIVE up AS (
        SELECT t.id, t.parent_id, t.settings, 0 AS depth FROM tenants t
        WHERE t.id = tid AND (tid = ANY (app_visible()) OR t.parent_id = ANY (app_visible()))
        UNION ALL
        SELECT p.id, p.parent_id, p.settings, up.depth + 1 FROM tenants p JOIN up ON p.id = up.parent_id
    )
    SELECT depth, settings FROM up ORDER BY depth
$$;
REVOKE ALL ON FUNCTION auth_tenant(uuid), auth_tenant_by_slug(text), tenant_settings_chain(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_tenant(uuid), auth_tenant_by_slug(text), tenant_settings_chain(uuid) TO tsunagi_app;
GRANT EXECUTE ON FUNCTION app_tenant(), app_visible() TO tsunagi_app;

CREATE TABLE users (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    email         text NOT NULL CHECK (email = lower(email)),
    display_name  text NOT NULL,
    password_hash text,
    roles         text[] NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email)
);
SELECT tsunagi_tenant_table('users');

-- A session is one refresh-token family; access tokens name it and die with it.
CREATE TABLE sessions (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    user_id        uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
SELECT tsunagi_tenant_table('sessions');

CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    session_id  uuid NOT NULL,
    token_hash  bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT refresh_tokens_hash_key UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id)
);
SELECT tsunagi_tenant_table('refresh_tokens');

CREATE TABLE api_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    secret_hash  bytea NOT NULL,
    roles        text[] NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    version      integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
SELECT tsunagi_tenant_table('api_keys');

-- Tenant-specific Casbin rules. Defaults live in the repository (crates/authz); these add to them.
-- ptype 'p': (subject role, object, action, effect); ptype 'g': (role, inherited role).
CREATE TABLE authz_policies (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    ptype      text NOT NULL CHECK (ptype IN ('p', 'g')),
    subject    text NOT NULL,
    object     text NOT NULL,
    action     text NOT NULL DEFAULT '',
    effect     text NOT NULL DEFAULT 'allow' CHECK (effect IN ('allow', 'deny')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT authz_policies_rule_key UNIQUE (tenant_id, ptype, subject, object, action, effect)
);
SELECT tsunagi_tenant_table('authz_policies');

-- The audit log: append-only, one hash chain per tenant (seq 1, 2, ...).
CREATE TABLE audit_log (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    seq          bigint NOT NULL CHECK (seq > 0),
    id           uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor_type   text NOT NULL,
    actor_id     text NOT NULL,
    actor_label  text NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    before       jsonb,
    after        jsonb,
    request_id   text,
    approval_id  uuid,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    CONSTRAINT audit_log_id_key UNIQUE (tenant_id, id)
);
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_type, target_id, seq);
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id, seq);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);
CREATE INDEX audit_log_time ON audit_log (tenant_id, occurred_at);
SELECT tsunagi_tenant_table('audit_log', false);

CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

-- Domain events written in the same transaction as the change; the hub relays them.
CREATE TABLE outbox (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    topic          text NOT NULL,
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    payload        jsonb NOT NULL,
    request_id     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
SELECT tsunagi_tenant_table('outbox', false);

-- Idempotency keys: per tenant and principal; the stored response is replayed for 24 h+.
CREATE TABLE idempotency_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    principal    text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, principal, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
SELECT tsunagi_tenant_table('idempotency_keys');

-- Housekeeping across tenants, callable by the app role without widening its reach.
CREATE FUNCTION idempotency_purge_expired() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH d AS (DELETE FROM idempotency_keys WHERE expires_at < now() RETURNING 1)
    SELECT count(*) FROM d
$$;
REVOKE ALL ON FUNCTION idempotency_purge_expired() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION idempotency_purge_expired() TO tsunagi_app;
