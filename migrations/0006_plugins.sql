-- Tenant plugins: the registry. Component bytes once per digest, versions with their world
-- and manifest (secrets sealed apart), one activation per hook keeping the previous version
-- for rollback, whether an MVNO lets its resellers replace a hook, a bounded sample of the
-- real inputs each hook was called with (for replay), fixture sets, and failure counters.

-- A hook is where a plugin runs: `pricing`, `commission`, or a named channel `channel:<name>`.
CREATE FUNCTION plugin_hook_ok(h text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT h ~ '^(pricing|commission|channel:[a-z0-9][a-z0-9-]{0,31})$'
$$;

CREATE TABLE plugin_components (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    digest     text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    bytes      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, digest)
);
SELECT tsunagi_tenant_table('plugin_components', false);

CREATE TABLE plugins (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    world       text NOT NULL CHECK (world IN ('pricing', 'commission', 'channel')),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT plugins_name_key UNIQUE (tenant_id, name)
);
SELECT tsunagi_tenant_table('plugins');

CREATE TABLE plugin_versions (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    plugin_id        uuid NOT NULL,
    version          text NOT NULL CHECK (version ~ '^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}(-[0-9A-Za-z.-]{1,40})?$'),
    digest           text NOT NULL,
    size_bytes       integer NOT NULL,
    -- Limits, config values and allowed hosts; never the secrets.
    manifest         jsonb NOT NULL,
    -- The secrets as a sealed JSON object (tsunagi_core::crypto, purpose plugin.secrets);
    -- only their names are readable.
    secrets_enc      bytea,
    secret_keys      text[] NOT NULL DEFAULT '{}',
    -- Bumped on every manifest change: compiled plugins are cached by (id, manifest_rev).
    manifest_rev     integer NOT NULL DEFAULT 1,
    uploaded_by      text NOT NULL,
    failure_count    bigint NOT NULL DEFAULT 0,
    failures_by_code jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_failure     text,
    last_failure_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT plugin_versions_version_key UNIQUE (tenant_id, plugin_id, version),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES plugins (tenant_id, id),
    FOREIGN KEY (tenant_id, digest) REFERENCES plugin_components (tenant_id, digest)
);
SELECT tsunagi_tenant_table('plugin_versions');

CREATE TABLE plugin_activations (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    hook                text NOT NULL CHECK (plugin_hook_ok(hook)),
    -- NULL while disabled (the built-in behaviour, or the parent's plugin, applies).
    version_id          uuid,
    -- One mutation away: what rollback returns to.
    previous_version_id uuid,
    status              text NOT NULL CHECK (status IN ('active', 'disabled')),
    changed_by          text NOT NULL,
    approval_id         uuid,
    reason              text,
    version             integer NOT NULL DEFAULT 1,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, hook),
    CHECK ((status = 'active') = (version_id IS NOT NULL)),
    FOREIGN KEY (tenant_id, version_id) REFERENCES plugin_versions (tenant_id, id),
    FOREIGN KEY (tenant_id, previous_version_id) REFERENCES plugin_versions (tenant_id, id)
);
SELECT tsunagi_tenant_table('plugin_activations');

-- An MVNO's word on whether its resellers may replace a hook (`channel:*` covers every
-- channel). Resellers read their MVNO's policies.
CREATE TABLE plugin_hook_policies (
    tenant_id              uuid NOT NULL REFERENCES tenants (id),
    hook                   text NOT NULL CHECK (plugin_hook_ok(hook) OR hook = 'channel:*'),
    resellers_may_override boolean NOT NULL,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, hook)
);
SELECT tsunagi_catalog_table('plugin_hook_policies');

-- Whether an MVNO lets its resellers replace hook `h` (the one statement of that rule).
CREATE FUNCTION plugin_resellers_may(mvno uuid, h text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(bool_or(resellers_may_override), false) FROM plugin_hook_policies
    WHERE tenant_id = mvno AND (hook = h OR (hook = 'channel:*' AND h LIKE 'channel:%'))
$$;

-- Inputs the active plugin of a hook was called with in this tenant (config and secrets
-- never included), a bounded reservoir of `slot`s per hook.
CREATE TABLE plugin_samples (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    hook            text NOT NULL CHECK (plugin_hook_ok(hook)),
    slot            integer NOT NULL CHECK (slot >= 0),
    owner_tenant_id uuid NOT NULL,
    version_id      uuid NOT NULL,
    input           jsonb NOT NULL,
    output          jsonb,
    error           text,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, hook, slot)
);
SELECT tsunagi_tenant_table('plugin_samples');

CREATE TABLE plugin_fixture_sets (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    world      text NOT NULL CHECK (world IN ('pricing', 'commission', 'channel')),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    inputs     jsonb NOT NULL CHECK (jsonb_typeof(inputs) = 'array'),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT plugin_fixture_sets_name_key UNIQUE (tenant_id, name)
);
SELECT tsunagi_tenant_table('plugin_fixture_sets');

-- The plugin that runs for the current tenant at a hook: its own active one if it is an
-- MVNO, or a reseller whose MVNO lets resellers replace the hook; else the nearest
-- ancestor's (never the platform's). SECURITY DEFINER: a reseller cannot read its MVNO's
-- activations, but its calls run its MVNO's plugin.
CREATE FUNCTION plugin_effective(h text)
RETURNS TABLE (owner uuid, version_id uuid, manifest_rev integer, depth integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    WITH RECURSIVE up AS (
        SELECT t.id, t.parent_id, t.kind, 0 AS depth FROM tenants t WHERE t.id = app_tenant()
        UNION ALL
        SELECT p.id, p.parent_id, p.kind, up.depth + 1 FROM tenants p JOIN up ON p.id = up.parent_id
    )
    SELECT a.tenant_id, a.version_id, v.manifest_rev, up.depth
    FROM up
    JOIN plugin_activations a ON a.tenant_id = up.id AND a.hook = h AND a.status = 'active'
    JOIN plugin_versions v ON v.tenant_id = a.tenant_id AND v.id = a.version_id
    WHERE up.kind = 'mvno'
       OR (up.kind = 'reseller' AND plugin_resellers_may(up.parent_id, h))
    ORDER BY up.depth
    LIMIT 1
$$;
REVOKE ALL ON FUNCTION plugin_effective(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION plugin_effective(text) TO tsunagi_app;

-- Channel plugins in notification routing: `plugin:<name>` runs the `channel:<name>` hook.
ALTER TABLE notification_rules DROP CONSTRAINT notification_rules_channel_check;
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_channel_check
    CHECK (channel IN ('email', 'console') OR channel ~ '^plugin:[a-z0-9][a-z0-9-]{0,31}$');
ALTER TABLE notification_rules DROP CONSTRAINT notification_rules_fallback_channel_check;
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_fallback_channel_check
    CHECK (fallback_channel IN ('email', 'console') OR fallback_channel ~ '^plugin:[a-z0-9][a-z0-9-]{0,31}$');
ALTER TABLE hub_deliveries DROP CONSTRAINT hub_deliveries_channel_check;
ALTER TABLE hub_deliveries ADD CONSTRAINT hub_deliveries_channel_check
    CHECK (channel IN ('email', 'webhook', 'console') OR channel ~ '^plugin:[a-z0-9][a-z0-9-]{0,31}$');
