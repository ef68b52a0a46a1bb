-- A contract's terms over time: the plan, the price version it was sold on (or moved to)
-- and its options, from `valid_from` until the next row's. Rating prices a record with the
-- terms in force at the record's time, so a plan or option change mid-month does not
-- re-price the usage before it (and re-rating reproduces the same charges); billing reads
-- the same history to prorate. Written by a trigger on every change of those columns, so
-- no code path can change a contract's terms without leaving its history: the first row
-- (from the contract's creation) starts at -infinity, later rows at the changing
-- transaction's time (several changes in one transaction keep the last).

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
            CASE WHEN TG_OP = 'INSERT' THEN '-infinity'::timestamptz ELSE now() END,
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

-- Contracts that exist keep their present terms from the beginning (no history was kept).
INSERT INTO contract_terms (tenant_id, contract_id, valid_from, plan_id, plan_price_id, option_ids)
SELECT tenant_id, id, '-infinity', plan_id, plan_price_id, option_ids FROM contracts;
