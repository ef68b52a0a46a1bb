-- The typed event contract (tsunagi_core::events) and minijinja templates.
--
-- Tenant templates written for the first template language ({{#if x}}…{{/if}},
-- {{#each xs}}{{this.y}}{{/each}}) and for the payload shapes before the contract
-- (data.after.msisdn, snake_case keys) are rewritten once into minijinja over the
-- contract's payloads. The function stays, so the conversion is tested (and can be
-- applied to templates restored from an old backup).

CREATE FUNCTION notification_template_from_legacy(src text, topic text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t text := src;
    pair text[];
BEGIN
    -- Blocks.
    t := regexp_replace(t, '\{\{\s*#if\s+([A-Za-z0-9_.]+)\s*\}\}', '{% if \1 %}', 'g');
    t := regexp_replace(t, '\{\{\s*else\s*\}\}', '{% else %}', 'g');
    t := regexp_replace(t, '\{\{\s*/if\s*\}\}', '{% endif %}', 'g');
    t := regexp_replace(t, '\{\{\s*#each\s+([A-Za-z0-9_.]+)\s*\}\}', '{% for this in \1 %}', 'g');
    t := regexp_replace(t, '\{\{\s*/each\s*\}\}', '{% endfor %}', 'g');
    -- Fields whose meaning depends on the topic.
    IF topic LIKE 'order.%' THEN
        t := replace(t, 'data.after.status_reason', 'data.failure');
    ELSIF topic = 'kyc.status_changed' THEN
        t := replace(t, 'data.after.kyc_status', 'data.to');
        t := replace(t, 'data.before.kyc_status', 'data.from');
        t := replace(t, 'data.after.name', 'data.name');
    ELSIF topic = 'approval.requested' THEN
        t := replace(t, 'data.after.reason', 'data.summary');
    END IF;
    -- Fields renamed for every topic (before/after wrappers, snake_case).
    FOREACH pair SLICE 1 IN ARRAY ARRAY[
        ['data.after.msisdn', 'data.msisdn'],
        ['data.before.msisdn', 'data.msisdn'],
        ['data.after.status_reason', 'data.reason'],
        ['data.after.status', 'data.to'],
        ['data.before.status', 'data.from'],
        ['data.after.action', 'data.action'],
        ['data.after.requested_by', 'data.requestedBy'],
        ['data.after.expires_at', 'data.expiresAt'],
        ['data.after.kind', 'data.kind'],
        ['data.invoice_id', 'data.invoiceNumber'],
        ['data.customer_name', 'data.customerName'],
        ['data.next_retry_at', 'data.nextRetryAt'],
        ['data.suspension_deadline', 'data.suspensionDeadline'],
        ['data.due_date', 'data.dueDate'],
        ['data.line_id', 'data.lineId'],
        ['data.used_mb', 'data.usedMb'],
        ['data.quota_mb', 'data.quotaMb'],
        ['data.incident_id', 'data.incidentNumber'],
        ['data.started_at', 'data.startedAt'],
        ['data.next_update_at', 'data.nextUpdateAt'],
        ['data.endpoint_id', 'data.endpointId'],
        ['data.failing_since', 'data.failingSince'],
        ['links.payment_method', 'links.paymentMethod'],
        ['event.aggregate_id', 'event.aggregateId'],
        ['event.aggregate_type', 'event.aggregateType']
    ] LOOP
        t := replace(t, pair[1], pair[2]);
    END LOOP;
    RETURN t;
END $$;

UPDATE notification_templates
   SET subject = notification_template_from_legacy(subject, topic),
       body = notification_template_from_legacy(body, topic),
       version = version + 1,
       updated_at = now()
 WHERE notification_template_from_legacy(subject, topic) <> subject
    OR notification_template_from_legacy(body, topic) <> body;
