-- eSIM through the SM-DP+ (ES2+) and number portability (MNP port-in).
--
-- A tenant's SM-DP+ sits beside its carrier: its endpoint and sealed API key (both or
-- neither; without one, eSIM profiles are prepared by hand as before).
ALTER TABLE tenant_carriers
    ADD COLUMN smdp_endpoint    text CHECK (smdp_endpoint IS NULL OR length(smdp_endpoint) <= 500),
    ADD COLUMN smdp_api_key_enc bytea,
    ADD CONSTRAINT tenant_carriers_smdp_both
        CHECK ((smdp_endpoint IS NULL) = (smdp_api_key_enc IS NULL));

-- What the SM-DP+ said about a profile: the EID it went to, when it was confirmed (the
-- activation code is then the SM-DP+'s, sealed in activation_code_enc), the time of the
-- last download notice applied (an older one changes nothing), and why it failed.
ALTER TABLE esim_profiles
    ADD COLUMN eid          text CHECK (eid IS NULL OR eid ~ '^[0-9]{32}$'),
    ADD COLUMN confirmed_at timestamptz,
    ADD COLUMN notice_at    timestamptz,
    ADD COLUMN failure      text CHECK (failure IS NULL OR length(failure) <= 1000);

-- The SM-DP+'s download notices (HandleDownloadProgressInfo), each taken once.
CREATE TABLE esim_notices (
    tenant_id   uuid NOT NULL,
    notice_id   text NOT NULL CHECK (length(notice_id) BETWEEN 1 AND 200),
    iccid       text NOT NULL,
    point       smallint NOT NULL,
    succeeded   boolean NOT NULL,
    body        jsonb NOT NULL,
    outcome     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, notice_id)
);
SELECT tsunagi_tenant_table('esim_notices', false);

-- Calls to the SM-DP+ are attempts of the step that made them.
ALTER TABLE provisioning_attempts
    DROP CONSTRAINT provisioning_attempts_kind_check,
    ADD CONSTRAINT provisioning_attempts_kind_check CHECK (kind IN ('command', 'status', 'es2plus'));

-- A number ported in from another operator: in the pool as `porting_in` until the carrier
-- completes the port (then `assigned`); `ported_in` stays true for its life with us.
ALTER TABLE numbers ADD COLUMN ported_in boolean NOT NULL DEFAULT false;

ALTER TABLE provisioning_jobs
    DROP CONSTRAINT provisioning_jobs_action_check,
    ADD CONSTRAINT provisioning_jobs_action_check
        CHECK (action IN ('activate', 'port_in', 'suspend', 'resume', 'terminate', 'swap_sim', 'set_speed_limit'));
