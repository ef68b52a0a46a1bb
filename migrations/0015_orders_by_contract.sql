-- A line's page lists its orders and its contract's (plan and option changes name the
-- contract only): `orders_of_line` reads by line or by contract.
CREATE INDEX orders_contract ON orders (tenant_id, contract_id);
