-- A contract's terms over time: the plan, the price version it was sold on (or moved to)
-- and its options, from `valid_from` until the next row's. Rating prices a record with the
-- terms in force at the record's time, so a plan or option change mid-month does not
-- re-price the usage before it (and re-rating reproduces the same charges); billing is to
-- read the same history. Written by a trigger on every change of those columns, so no code path
-- can change a contract's terms without leaving its history: the first row (from the
-- contract's creation) starts at -infinity, later rows at the instant of the change — never
-- before the contract's latest row, so two changes that queued on the contract's row lock
-- stay in the order they were made (a change landing on the same instant replaces it).
-- A contract that existed before this migration gets its history rebuilt from the audit log.

CREATE TABLE contract_terms (
    tenant_id     uuid NOT NULL,
    contract_id   uuid NOT NULL,
    valid_from    timestamptz NOT NULL,
    plan_id       uuid NOT NULL,
    plan_price_id uuid NOT NULL,
    option_ids    uuid[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, contract_id, valid_from),
    FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id)
);
SELECT tsunagi_tenant_table('contract_terms');

CREATE FUNCTION contract_terms_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contract_terms (tenant_id, contract_id, valid_from, plan_id, plan_price_id, option_ids)
    VALUES (NEW.tenant_id, NEW.id,
            CASE WHEN TG_OP = 'INSERT' THEN '-infinity'::timestamptz
                 ELSE greatest(clock_timestamp(),
                               (SELECT max(valid_from) FROM contract_terms
                                WHERE tenant_id = NEW.tenant_id AND contract_id = NEW.id))
            END,
            NEW.plan_id, NEW.plan_price_id, NEW.option_ids)
    ON CONFLICT (tenant_id, contract_id, valid_from) DO UPDATE
        SET plan_id = EXCLUDED.plan_id, plan_price_id = EXCLUDED.plan_price_id,
            option_ids = EXCLUDED.option_ids;
    RETURN NULL;
END $$;

CREATE TRIGGER contract_terms_on_insert AFTER INSERT ON contracts
    FOR EACH ROW EXECUTE FUNCTION contract_terms_keep();
CREATE TRIGGER contract_terms_on_change AFTER UPDATE OF plan_id, plan_price_id, option_ids ON contracts
    FOR EACH ROW
    WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id
          OR OLD.plan_price_id IS DISTINCT FROM NEW.plan_price_id
          OR OLD.option_ids IS DISTINCT FROM NEW.option_ids)
    EXECUTE FUNCTION contract_terms_keep();

-- The history of contracts that exist, rebuilt from the audit log: from each contract's
-- present terms, walking its plan and option changes backwards (each entry's `before`
-- holds what it replaced), a row at each change and the oldest terms from -infinity.
DO $$
DECLARE
    c record;
    e record;
    p uuid;
    pp uuid;
    o uuid[];
    vf timestamptz;
BEGIN
    FOR c IN SELECT tenant_id, id, plan_id, plan_price_id, option_ids FROM contracts LOOP
        p := c.plan_id;
        pp := c.plan_price_id;
        o := c.option_ids;
        -- Entries' times come from the app servers' clocks: kept in the entries' order and
        -- never in the database's future, so the latest row is the present terms.
        vf := now();
        FOR e IN
            SELECT occurred_at, before FROM audit_log
            WHERE tenant_id = c.tenant_id AND target_type = 'contract' AND target_id = c.id::text
              AND action IN ('contract.plan_change', 'contract.option_add', 'contract.option_remove')
            ORDER BY seq DESC
        LOOP
            vf := least(e.occurred_at, vf);
            INSERT INTO contract_terms (tenant_id, contract_id, valid_from, plan_id, plan_price_id, option_ids)
            VALUES (c.tenant_id, c.id, vf, p, pp, o) ON CONFLICT DO NOTHING;
            IF e.before ? 'planId' THEN p := (e.before ->> 'planId')::uuid; END IF;
            IF e.before ? 'planPriceId' THEN pp := (e.before ->> 'planPriceId')::uuid; END IF;
            IF e.before ? 'optionIds' THEN
                o := ARRAY(SELECT jsonb_array_elements_text(e.before -> 'optionIds'))::uuid[];
            END IF;
        END LOOP;
        INSERT INTO contract_terms (tenant_id, contract_id, valid_from, plan_id, plan_price_id, option_ids)
        VALUES (c.tenant_id, c.id, '-infinity', p, pp, o) ON CONFLICT DO NOTHING;
    END LOOP;
END $$;
