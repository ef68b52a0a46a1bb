-- Name search as support types it: in Japanese as well as in Latin letters.
--
-- * One folding rule for stored names and typed queries (`search_fold`): Unicode NFKC
--   (half-width ｶﾀｶﾅ → full-width, full-width ＡＢＣ → ABC), katakana → hiragana (サトウ and
--   さとう find each other), lower case. The folded name is a stored column (`name_fold`):
--   folding costs ~4 µs a row, too much to compute while filtering.
-- * Three characters or more match anywhere in the name or e-mail: trigram GIN indexes that
--   lead with the tenant (btree_gin), searched once per visible tenant (a LATERAL join on
--   `tenant_id = t`), so a common surname in other tenants costs nothing. They are written
--   without GIN's pending list (`fastupdate = off`): a pending list grows with every new
--   customer until a vacuum merges it, every search scans it, and the planner, costing it,
--   falls back to walking the tenant's rows (10–25 ms at 25,000 customers instead of 1 ms,
--   measured after the bench's bulk load). Japanese names are
--   often two characters ("佐藤", "鈴木"), too short for trigrams: a query of one or two
--   characters matches names from their start (a btree on the folded name). The application
--   allows two characters only for queries that are not plain ASCII.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE FUNCTION search_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN lower(translate(normalize(t, NFKC),
    'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶ',
    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖ'));

ALTER TABLE customers ADD COLUMN name_fold text GENERATED ALWAYS AS (search_fold(name)) STORED;
DROP INDEX customers_name_trgm;
DROP INDEX customers_name;
DROP INDEX customers_email_trgm;
CREATE INDEX customers_name_fold_trgm ON customers USING gin (tenant_id, name_fold gin_trgm_ops)
    WITH (fastupdate = off);
CREATE INDEX customers_email_trgm ON customers USING gin (tenant_id, lower(email) gin_trgm_ops)
    WITH (fastupdate = off);
CREATE INDEX customers_name_fold ON customers (tenant_id, name_fold text_pattern_ops);

-- The text branch takes the query as typed; the function folds it and builds the pattern.
CREATE OR REPLACE FUNCTION ledger_search(q_text text, q_digits text, q_phone text, q_limit integer)
RETURNS TABLE (kind text, id uuid, tenant_id uuid, label text, status text, matched text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
    q_fold text := search_fold(q_text);
    q_anywhere text;
BEGIN
    IF q_fold IS NOT NULL AND char_length(q_fold) < 3 THEN
        -- Too short for trigrams: names that start with it (a byte range on the btree;
        -- U+10FFFF sorts after every character that can follow).
        RETURN QUERY
        SELECT 'customer', c.id, c.tenant_id, c.name, c.kyc_status, 'text'
          FROM unnest(app_visible()) v(t) CROSS JOIN LATERAL (
            SELECT c.id, c.tenant_id, c.name, c.kyc_status FROM customers c
             WHERE c.tenant_id = v.t
               AND c.name_fold ~>=~ q_fold AND c.name_fold ~<~ (q_fold || U&'\+10FFFF')
             LIMIT q_limit) c
         LIMIT q_limit;
        RETURN;
    END IF;
    q_anywhere := '%' || replace(replace(replace(q_fold, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    -- plpgsql keeps the plan per connection; a SQL function would be planned on every call.
    RETURN QUERY
    (SELECT 'customer', c.id, c.tenant_id, c.name, c.kyc_status, 'text'
       FROM unnest(app_visible()) v(t) CROSS JOIN LATERAL (
         SELECT c.id, c.tenant_id, c.name, c.kyc_status FROM customers c
          WHERE q_anywhere IS NOT NULL AND c.tenant_id = v.t
            AND (c.name_fold LIKE q_anywhere OR lower(c.email) LIKE q_anywhere)
          LIMIT q_limit) c
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
