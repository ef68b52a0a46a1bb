-- The one ledger: catalog, customers and KYC, number pool, SIMs, eSIM profiles, devices,
-- contracts, lines, orders, provisioning jobs and four-eyes approval requests.
-- Every table is tenant-owned (tsunagi_tenant_table); keys lead with tenant_id.

-- The tenant's ancestors (its MVNO, the platform): resellers read their MVNO's catalog.
CREATE FUNCTION app_ancestors() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    WITH RECURSIVE up AS (
        SELECT t.parent_id AS id FROM tenants t WHERE t.id = app_tenant()
        UNION ALL
        SELECT p.parent_id FROM tenants p JOIN up ON p.id = up.id WHERE up.id IS NOT NULL
    )
    SELECT coalesce(array_agg(id) FILTER (WHERE id IS NOT NULL), '{}') FROM up
$$;
REVOKE ALL ON FUNCTION app_ancestors() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_ancestors() TO tsunagi_app;

-- A catalog table: standard isolation, but descendants also read the ancestors' rows.
CREATE FUNCTION tsunagi_catalog_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tsunagi_tenant_table(t);
    EXECUTE format('DROP POLICY tenant_read ON %s', t);
    EXECUTE format('CREATE POLICY tenant_read ON %s FOR SELECT USING (tenant_id = ANY (app_visible()) OR tenant_id = ANY (app_ancestors()))', t);
END $$;

CREATE TABLE plans (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    code            text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,40}$'),
    name            text NOT NULL,
    status          text NOT NULL DEFAULT 'draft',
    allowed_options uuid[] NOT NULL DEFAULT '{}',
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT plans_code_key UNIQUE (tenant_id, code)
);
SELECT tsunagi_catalog_table('plans');

-- A price version: what a plan costs from valid_from (and until valid_to).
CREATE TABLE plan_prices (
    tenant_id             uuid NOT NULL,
    id                    uuid NOT NULL,
    plan_id               uuid NOT NULL,
    currency              text NOT NULL,
    monthly_fee           bigint NOT NULL CHECK (monthly_fee >= 0),
    data_mb               bigint NOT NULL CHECK (data_mb >= 0),
    voice_min             integer NOT NULL CHECK (voice_min >= 0),
    sms                   integer NOT NULL CHECK (sms >= 0),
    overage_data_per_gb   bigint NOT NULL CHECK (overage_data_per_gb >= 0),
    overage_voice_per_min bigint NOT NULL CHECK (overage_voice_per_min >= 0),
    overage_sms           bigint NOT NULL CHECK (overage_sms >= 0),
    valid_from            timestamptz NOT NULL,
    valid_to              timestamptz,
    applies               text NOT NULL CHECK (applies IN ('immediately', 'next_term')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, plan_id) REFERENCES plans (tenant_id, id),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX plan_prices_plan ON plan_prices (tenant_id, plan_id, valid_from);
SELECT tsunagi_catalog_table('plan_prices');

CREATE TABLE options (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,40}$'),
    name        text NOT NULL,
    currency    text NOT NULL,
    monthly_fee bigint NOT NULL CHECK (monthly_fee >= 0),
    status      text NOT NULL DEFAULT 'draft',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT options_code_key UNIQUE (tenant_id, code)
);
SELECT tsunagi_catalog_table('options');

CREATE TABLE customers (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('individual', 'business')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       text,
    phone       text,
    kyc_status  text NOT NULL DEFAULT 'not_started',
    kyc_note    text,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX customers_name ON customers (tenant_id, lower(name) text_pattern_ops);
CREATE INDEX customers_email ON customers (tenant_id, lower(email) text_pattern_ops);
CREATE INDEX customers_phone ON customers (tenant_id, phone text_pattern_ops);
SELECT tsunagi_tenant_table('customers');

CREATE TABLE contacts (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    customer_id uuid NOT NULL,
    name        text NOT NULL,
    email       text,
    phone       text,
    role        text NOT NULL DEFAULT 'primary',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
SELECT tsunagi_tenant_table('contacts');

CREATE TABLE billing_accounts (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    customer_id uuid NOT NULL,
    name        text NOT NULL,
    currency    text NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
SELECT tsunagi_tenant_table('billing_accounts');

-- Customer principals: which customer (and, for customer_user, which line) a user belongs to.
ALTER TABLE users ADD COLUMN customer_id uuid, ADD COLUMN line_id uuid;

-- The number pool. An MSISDN exists once on the platform.
CREATE TABLE numbers (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    msisdn           text NOT NULL CHECK (msisdn ~ '^[1-9][0-9]{7,14}$'),
    status           text NOT NULL DEFAULT 'available',
    quarantine_until timestamptz,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, msisdn),
    CONSTRAINT numbers_msisdn_key UNIQUE (msisdn)
);
SELECT tsunagi_tenant_table('numbers');

-- SIM cards. PIN/PUK are AES-256-GCM encrypted by the application (key outside the DB).
CREATE TABLE sims (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    iccid      text NOT NULL CHECK (iccid ~ '^89[0-9]{17,18}$'),
    imsi       text NOT NULL CHECK (imsi ~ '^[0-9]{15}$'),
    pin_enc    bytea,
    puk_enc    bytea,
    status     text NOT NULL DEFAULT 'in_stock',
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT sims_iccid_key UNIQUE (iccid),
    CONSTRAINT sims_imsi_key UNIQUE (imsi)
);
SELECT tsunagi_tenant_table('sims');

CREATE TABLE esim_profiles (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    iccid               text NOT NULL CHECK (iccid ~ '^89[0-9]{17,18}$'),
    imsi                text NOT NULL CHECK (imsi ~ '^[0-9]{15}$'),
    activation_code_enc bytea NOT NULL,
    status              text NOT NULL DEFAULT 'available',
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT esim_profiles_iccid_key UNIQUE (iccid),
    CONSTRAINT esim_profiles_imsi_key UNIQUE (imsi)
);
SELECT tsunagi_tenant_table('esim_profiles');

CREATE TABLE devices (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    imei       text NOT NULL CHECK (imei ~ '^[0-9]{15,16}$'),
    model      text NOT NULL,
    status     text NOT NULL DEFAULT 'in_stock' CHECK (status IN ('in_stock', 'assigned', 'returned')),
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT devices_imei_key UNIQUE (tenant_id, imei)
);
SELECT tsunagi_tenant_table('devices');

CREATE TABLE contracts (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    customer_id        uuid NOT NULL,
    billing_account_id uuid,
    plan_id            uuid NOT NULL,
    plan_price_id      uuid NOT NULL,
    option_ids         uuid[] NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'draft',
    started_at         timestamptz,
    ended_at           timestamptz,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX contracts_customer ON contracts (tenant_id, customer_id);
SELECT tsunagi_tenant_table('contracts');

CREATE TABLE lines (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    contract_id   uuid NOT NULL,
    customer_id   uuid NOT NULL,
    msisdn        text NOT NULL,
    sim_id        uuid,
    esim_id       uuid,
    device_id     uuid,
    status        text NOT NULL DEFAULT 'requested',
    pending_from  text,
    status_reason text,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id),
    FOREIGN KEY (tenant_id, msisdn) REFERENCES numbers (tenant_id, msisdn),
    FOREIGN KEY (tenant_id, sim_id) REFERENCES sims (tenant_id, id),
    FOREIGN KEY (tenant_id, esim_id) REFERENCES esim_profiles (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
    CHECK (sim_id IS NOT NULL OR esim_id IS NOT NULL)
);
-- One MSISDN, one SIM, one eSIM profile on one live line: enforced here, not only in code.
CREATE UNIQUE INDEX lines_one_live_msisdn ON lines (tenant_id, msisdn) WHERE status <> 'terminated';
CREATE UNIQUE INDEX lines_one_live_sim ON lines (tenant_id, sim_id) WHERE status <> 'terminated' AND sim_id IS NOT NULL;
CREATE UNIQUE INDEX lines_one_live_esim ON lines (tenant_id, esim_id) WHERE status <> 'terminated' AND esim_id IS NOT NULL;
CREATE INDEX lines_contract ON lines (tenant_id, contract_id);
CREATE INDEX lines_msisdn_search ON lines (tenant_id, msisdn text_pattern_ops);
SELECT tsunagi_tenant_table('lines');

CREATE TABLE orders (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    kind         text NOT NULL,
    status       text NOT NULL DEFAULT 'acknowledged',
    customer_id  uuid,
    contract_id  uuid,
    line_id      uuid,
    input        jsonb NOT NULL,
    hold_reason  text,
    approval_id  uuid,
    failure      text,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX orders_line ON orders (tenant_id, line_id);
SELECT tsunagi_tenant_table('orders');

-- Steps that need the carrier; the carrier issue's worker claims them (SKIP LOCKED).
CREATE TABLE provisioning_jobs (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    order_id        uuid NOT NULL,
    line_id         uuid NOT NULL,
    action          text NOT NULL CHECK (action IN ('activate', 'suspend', 'resume', 'terminate', 'swap_sim')),
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    idempotency_key text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    completed_by    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT provisioning_jobs_key UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX provisioning_jobs_queued ON provisioning_jobs (created_at) WHERE status = 'queued';
SELECT tsunagi_tenant_table('provisioning_jobs');

-- Four-eyes: a critical command becomes a request; another person approves; it runs once.
CREATE TABLE approval_requests (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    action             text NOT NULL,
    target_type        text NOT NULL,
    target_id          text NOT NULL,
    command            jsonb NOT NULL,
    summary            text NOT NULL,
    status             text NOT NULL DEFAULT 'pending',
    requested_by       text NOT NULL,
    requested_by_label text NOT NULL,
    decided_by         text,
    decided_by_label   text,
    decision_note      text,
    result             jsonb,
    failure            text,
    expires_at         timestamptz NOT NULL,
    decided_at         timestamptz,
    executed_at        timestamptz,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX approval_requests_open ON approval_requests (tenant_id, status, created_at);
-- One open request per action and target: asking twice does not queue two suspensions.
CREATE UNIQUE INDEX approval_requests_one_open ON approval_requests (tenant_id, action, target_id) WHERE status = 'pending';
SELECT tsunagi_tenant_table('approval_requests');

-- For the worker: which tenants have undecided approval requests past their time.
CREATE FUNCTION tenants_with_overdue_approvals() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT tenant_id FROM approval_requests WHERE status = 'pending' AND expires_at <= now()
$$;
REVOKE ALL ON FUNCTION tenants_with_overdue_approvals() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenants_with_overdue_approvals() TO tsunagi_app;
