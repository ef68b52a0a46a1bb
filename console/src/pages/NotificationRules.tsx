// Who hears about what: the tenant's notification rules (a topic filter, an audience, a
// channel and a fallback) listed, added and removed after a confirmation; and the webhook
// endpoints' lifecycle actions: rotate the signing secret (the old one keeps signing for an
// overlap so receivers can switch without losing a message; the new secret shown once) and
// disable or enable an endpoint.
import { Badge, Button, Code, Group, NumberInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { Confirm } from '../ui/Confirm';
import { ApiError } from '../ui/errors';

const Create = graphql(`
  mutation RuleCreate($input: NotificationRuleInput!) { notificationRuleCreate(input: $input) { rule { id } } }
`);
const Delete = graphql(`
  mutation RuleDelete($id: ID!) { notificationRuleDelete(input: { id: $id }) { rule { id } } }
`);
const Rotate = graphql(`
  mutation EndpointRotate($id: ID!, $version: Int!, $overlapHours: Int!) {
    webhookEndpointSecretRotate(input: { id: $id, version: $version, overlapHours: $overlapHours }) { secret endpoint { id version previousSecretUntil } }
  }
`);
const SetEnabled = graphql(`
  mutation EndpointSetEnabled($id: ID!, $version: Int!, $enabled: Boolean!) {
    webhookEndpointSetEnabled(input: { id: $id, version: $version, enabled: $enabled }) { endpoint { id version status } }
  }
`);

type Rule = { id: string; topic: string; audience: string; role?: string | null; channel: string; fallbackChannel?: string | null };
const EMPTY = { topic: '', audience: 'role', role: 'support', channel: 'email', fallbackChannel: '' };

export function Rules({ rules, topics, roles, onChange }: { rules: Rule[]; topics: string[]; roles: string[]; onChange: () => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const [made, make] = useMutation(Create);
  const [deleted, del] = useMutation(Delete);
  const [r, setR] = useState(EMPTY);
  const [confirm, setConfirm] = useState<Rule | null>(null);
  const words = (x: { topic: string; audience: string; role?: string | null; channel: string; fallbackChannel?: string | null }) =>
    t('notifications.ruleWords', { topic: x.topic, who: x.audience === 'role' ? x.role : t(`notifications.audience.${x.audience}`), channel: x.channel })
    + (x.fallbackChannel ? ' ' + t('notifications.ruleFallback', { channel: x.fallbackChannel }) : '');
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">{t('notifications.rules')}</Title>
      {rules.map((x) => (
        <Group key={x.id} gap="xs" data-testid="rule">
          <Text size="sm">{words(x)}</Text>
          {can('notification:delete') && <Button size="compact-xs" variant="outline" color="red.9" onClick={() => setConfirm(x)}>{t('customer.remove')}</Button>}
        </Group>
      ))}
      {confirm && (
        <Confirm text={`${t('notifications.ruleRemove')} ${words(confirm)}`} yes={t('customer.removeYes')} loading={deleted.fetching} onCancel={() => setConfirm(null)} onYes={async () => {
          const res = await del({ id: confirm.id });
          if (res.data) { setConfirm(null); onChange(); }
        }} />
      )}
      <ApiError error={deleted.error} />
      {can('notification:create') && (
        <form onSubmit={async (e) => {
          e.preventDefault();
          const input = { topic: r.topic, audience: r.audience, role: r.audience === 'role' ? r.role : null, channel: r.channel, fallbackChannel: r.fallbackChannel || null };
          const res = await make({ input });
          if (res.data) { setR(EMPTY); onChange(); }
        }}>
          <Group align="end" gap="xs">
            <Select label={t('notifications.topicFilter')} data={['*', ...topics]} value={r.topic || null} onChange={(v) => setR({ ...r, topic: v ?? '' })} searchable w={260} />
            <Select label={t('notifications.audienceLabel')} allowDeselect={false} value={r.audience} onChange={(v) => setR({ ...r, audience: v ?? 'role' })}
              data={['role', 'customer_admins', 'customer_users'].map((a) => ({ value: a, label: t(`notifications.audience.${a}`) }))} />
            {r.audience === 'role' && <Select label={t('notifications.role')} data={roles} value={r.role} onChange={(v) => setR({ ...r, role: v ?? '' })} searchable />}
            <TextInput label={t('notifications.channel')} value={r.channel} onChange={(e) => setR({ ...r, channel: e.currentTarget.value })} w={160} />
            <TextInput label={t('notifications.fallback')} value={r.fallbackChannel} onChange={(e) => setR({ ...r, fallbackChannel: e.currentTarget.value })} w={160} />
            <Button type="submit" loading={made.fetching}>{t('notifications.addRule')}</Button>
          </Group>
          {r.topic && <Text size="sm" role="status" mt={4} data-testid="rule-effect">{words({ ...r, role: r.role })}</Text>}
          <ApiError error={made.error} />
        </form>
      )}
    </Stack>
  );
}

type Endpoint = { id: string; url: string; topics: string[]; status: string; disabledReason?: string | null; previousSecretUntil?: string | null; version: number };

export function Endpoints({ endpoints, onChange }: { endpoints: Endpoint[]; onChange: () => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const [rotated, rotate] = useMutation(Rotate);
  const [toggled, toggle] = useMutation(SetEnabled);
  const [confirm, setConfirm] = useState<Endpoint | null>(null);
  const [disabling, setDisabling] = useState<Endpoint | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [overlap, setOverlap] = useState(24);
  const setEnabled = async (w: Endpoint, enabled: boolean) => {
    setBusy(w.id);
    const res = await toggle({ id: w.id, version: w.version, enabled });
    setBusy(null);
    if (res.data) { setDisabling(null); onChange(); }
  };
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Stack gap={4}>
      {endpoints.map((w) => (
        <Group key={w.id} gap="xs" data-testid="endpoint">
          <Text size="sm">{w.url} · {w.topics.join(', ')}</Text>
          <Badge variant="outline" color="dark">{w.status}</Badge>
          {w.disabledReason && <Text size="sm">{w.disabledReason}</Text>}
          {w.previousSecretUntil && <Text size="xs">{t('notifications.oldSecretUntil', { at: formatTime(w.previousSecretUntil) })}</Text>}
          {can('webhook:update') && (
            <>
              <Button size="compact-xs" variant="default" onClick={() => { setConfirm(w); setSecret(null); }}>{t('notifications.rotate')}</Button>
              <Button size="compact-xs" variant="default" loading={busy === w.id} onClick={() => (w.status === 'disabled' ? void setEnabled(w, true) : setDisabling(w))}>
                {w.status === 'disabled' ? t('notifications.enable') : t('notifications.disable')}
              </Button>
            </>
          )}
        </Group>
      ))}
      {confirm && (
        <Confirm text={t('notifications.rotateEffect', { url: confirm.url, hours: overlap })} yes={t('notifications.rotateYes')} danger={false} loading={rotated.fetching} onCancel={() => setConfirm(null)} onYes={async () => {
          const res = await rotate({ id: confirm.id, version: confirm.version, overlapHours: overlap });
          if (res.data) { setSecret(res.data.webhookEndpointSecretRotate.secret); setConfirm(null); onChange(); }
        }}>
          <NumberInput label={t('notifications.overlap')} min={0} max={168} value={overlap} onChange={(v) => setOverlap(typeof v === 'number' ? v : 24)} w={140} />
        </Confirm>
      )}
      {disabling && (
        <Confirm text={t('notifications.disableEffect', { url: disabling.url })} yes={t('notifications.disableYes')} loading={busy === disabling.id} onCancel={() => setDisabling(null)} onYes={() => void setEnabled(disabling, false)} />
      )}
      {secret && <Text role="status" data-testid="rotated-secret">{t('access.secretOnce')} <Code>{secret}</Code></Text>}
      <ApiError error={rotated.error ?? toggled.error} />
    </Stack>
  );
}
