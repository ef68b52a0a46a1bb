-- Recipients' language. A customer's language applies to its own e-mail address and to its
-- portal users who chose none; a user's own choice wins. NULL: the tenant's locale.
ALTER TABLE customers ADD COLUMN locale text CHECK (locale IS NULL OR locale IN ('ja', 'en'));

-- One-click unsubscribe (RFC 8058) for addresses that are not users (a customer's own
-- e-mail address): the topics that address no longer receives. Users' opt-outs stay in
-- notification_preferences.
CREATE TABLE notification_suppressions (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    address    text NOT NULL,
    topic      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, address, topic)
);
SELECT tsunagi_tenant_table('notification_suppressions');

-- A tenant's own e-mail: its sender, a DKIM key (sealed with the data key), and SMTP
-- providers (URLs with credentials, sealed) tried in order before the platform's.
CREATE TABLE notification_mail_settings (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants (id),
    from_address  text,
    dkim_domain   text,
    dkim_selector text,
    dkim_key_enc  bytea,
    version       integer NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((dkim_domain IS NULL) = (dkim_key_enc IS NULL) AND (dkim_selector IS NULL) = (dkim_key_enc IS NULL))
);
SELECT tsunagi_tenant_table('notification_mail_settings');

CREATE TABLE notification_smtp_providers (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    position   integer NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    url_enc    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, position)
);
SELECT tsunagi_tenant_table('notification_smtp_providers');
