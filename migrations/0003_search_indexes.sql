-- The one search field at millions of rows:
-- * names and e-mails match anywhere (trigram GIN indexes: a caller's surname, a domain);
-- * numbers and identifiers match from the start (btree, text_pattern_ops) or from the end
--   (btree on reverse(): "the last digits on the SIM card") — digit strings have too few
--   distinct trigrams for a trigram index to be selective.
-- Btree indexes lead with tenant_id, like every other index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX customers_name_trgm ON customers USING gin (lower(name) gin_trgm_ops);
CREATE INDEX customers_email_trgm ON customers USING gin (lower(email) gin_trgm_ops);

CREATE INDEX lines_msisdn_reverse ON lines (tenant_id, reverse(msisdn) text_pattern_ops);
CREATE INDEX sims_iccid_prefix ON sims (tenant_id, iccid text_pattern_ops);
CREATE INDEX sims_iccid_reverse ON sims (tenant_id, reverse(iccid) text_pattern_ops);
CREATE INDEX sims_imsi_prefix ON sims (tenant_id, imsi text_pattern_ops);
CREATE INDEX esim_profiles_iccid_prefix ON esim_profiles (tenant_id, iccid text_pattern_ops);
CREATE INDEX esim_profiles_iccid_reverse ON esim_profiles (tenant_id, reverse(iccid) text_pattern_ops);
CREATE INDEX devices_imei_prefix ON devices (tenant_id, imei text_pattern_ops);
CREATE INDEX devices_imei_reverse ON devices (tenant_id, reverse(imei) text_pattern_ops);

-- The search itself runs as this function: the caller's visible tenants are applied
-- explicitly in every branch (app_visible(), the same set RLS uses), so its conditions can
-- be index conditions. Under RLS they could not: LIKE is not leakproof, so PostgreSQL must
-- evaluate it after the row-security filter. Digit prefixes are byte ranges (~>=~, ~<~ on
-- text_pattern_ops; ':' sorts right after '9'), which a generic plan can use with parameters.
CREATE FUNCTION ledger_search(q_text text, q_digits text, q_phone text, q_limit integer)
RETURNS TABLE (kind text, id uuid, tenant_id uuid, label text, status text, matched text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
    -- plpgsql keeps the plan per connection; a SQL function would be planned on every call.
    RETURN QUERY
    (SELECT 'customer', c.id, c.tenant_id, c.name, c.kyc_status, 'text' FROM customers c
      WHERE q_text IS NOT NULL AND c.tenant_id = ANY (app_visible())
        AND (lower(c.name) LIKE q_text OR lower(c.email) LIKE q_text)
      LIMIT q_limit)
    UNION ALL
    (SELECT 'customer', c.id, c.tenant_id, c.name, c.kyc_status, 'phone' FROM customers c
      WHERE q_phone IS NOT NULL AND c.tenant_id = ANY (app_visible())
        AND (c.phone ~>=~ q_phone AND c.phone ~<~ (q_phone || ':'))
      LIMIT q_limit)
    UNION ALL
    (SELECT 'line', l.id, l.tenant_id, l.msisdn, l.status, 'msisdn' FROM lines l
      WHERE q_phone IS NOT NULL AND l.tenant_id = ANY (app_visible())
        AND ((l.msisdn ~>=~ q_phone AND l.msisdn ~<~ (q_phone || ':')) OR (reverse(l.msisdn) ~>=~ reverse(q_digits) AND reverse(l.msisdn) ~<~ (reverse(q_digits) || ':')))
      LIMIT q_limit)
    UNION ALL
    (SELECT 'sim', s.id, s.tenant_id, s.iccid, s.status, CASE WHEN starts_with(s.imsi, q_digits) THEN 'imsi' ELSE 'iccid' END FROM sims s
      WHERE q_digits IS NOT NULL AND s.tenant_id = ANY (app_visible())
        AND ((s.iccid ~>=~ q_digits AND s.iccid ~<~ (q_digits || ':')) OR (reverse(s.iccid) ~>=~ reverse(q_digits) AND reverse(s.iccid) ~<~ (reverse(q_digits) || ':')) OR (s.imsi ~>=~ q_digits AND s.imsi ~<~ (q_digits || ':')))
      LIMIT q_limit)
    UNION ALL
    (SELECT 'esim', e.id, e.tenant_id, e.iccid, e.status, 'iccid' FROM esim_profiles e
      WHERE q_digits IS NOT NULL AND e.tenant_id = ANY (app_visible())
        AND ((e.iccid ~>=~ q_digits AND e.iccid ~<~ (q_digits || ':')) OR (reverse(e.iccid) ~>=~ reverse(q_digits) AND reverse(e.iccid) ~<~ (reverse(q_digits) || ':')))
      LIMIT q_limit)
    UNION ALL
    (SELECT 'device', d.id, d.tenant_id, d.imei, d.status, 'imei' FROM devices d
      WHERE q_digits IS NOT NULL AND d.tenant_id = ANY (app_visible())
        AND ((d.imei ~>=~ q_digits AND d.imei ~<~ (q_digits || ':')) OR (reverse(d.imei) ~>=~ reverse(q_digits) AND reverse(d.imei) ~<~ (reverse(q_digits) || ':')))
      LIMIT q_limit);
END $$;
REVOKE ALL ON FUNCTION ledger_search(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_search(text, text, text, integer) TO tsunagi_app;
