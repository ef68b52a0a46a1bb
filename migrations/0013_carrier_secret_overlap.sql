-- A rotated callback secret keeps verifying callbacks until `previous_secret_until`, so the
-- carrier can switch to the new one without losing any.
ALTER TABLE tenant_carriers
    ADD COLUMN previous_secret_enc   bytea,
    ADD COLUMN previous_secret_until timestamptz;

CREATE FUNCTION carrier_callback_secrets(tenant uuid)
RETURNS TABLE (secret bytea, previous bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT callback_secret_enc,
           CASE WHEN previous_secret_until > now() THEN previous_secret_enc END
      FROM tenant_carriers WHERE tenant_id = tenant
$$;
REVOKE ALL ON FUNCTION carrier_callback_secrets(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION carrier_callback_secrets(uuid) TO tsunagi_app;
DROP FUNCTION carrier_callback_secret(uuid);
