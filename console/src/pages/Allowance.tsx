// A line's allowance in the current bill period, for staff (line page) and customers
// (self-service): data, calls and messages used against what is included (with carried-over
// and added data), what is left, and what was charged beyond it. Refreshed every 30 seconds
// while open: the counts move as the carrier's records are rated. A line slowed or stopped
// because its data ran out says so, and until when.
import { Alert, Card, Group, Progress, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { formatMoney, formatTime } from '../i18n';

const AllowanceQuery = graphql(`
  query LineAllowance($id: ID!) {
    lineAllowance(lineId: $id) {
      period shared currency carriedBytes addedBytes updatedAt
      meters { meter included used remaining lineUnits lineCharge }
      limit { action kbps since }
    }
  }
`);

const mb = (bytes: number) => (bytes / 1_000_000).toFixed(bytes % 1_000_000 === 0 ? 0 : 1);

export function Allowance({ lineId }: { lineId: string }) {
  const { t } = useTranslation();
  const [{ data, error }, again] = useQuery({ query: AllowanceQuery, variables: { id: lineId }, requestPolicy: 'cache-and-network' });
  useEffect(() => {
    const timer = setInterval(() => again({ requestPolicy: 'network-only' }), 30_000);
    return () => clearInterval(timer);
  }, [again]);
  const a = data?.lineAllowance;
  const amount = (meter: string, n: number) =>
    meter === 'data' || meter.startsWith('roaming_data')
      ? t('allowance.mb', { mb: mb(n) })
      : meter.includes('voice')
        ? t('allowance.minutes', { min: Math.ceil(n / 60) })
        : t('allowance.messages', { n });
  const charged = a?.meters.reduce((s, m) => s + m.lineCharge, 0) ?? 0;
  return (
    <Card withBorder data-testid="line-allowance">
      <Title order={3} size="h4" mb="sm">{t('allowance.title')}</Title>
      {error && <Text c="red.9">{error.message}</Text>}
      {a && (
        <Stack gap="sm">
          <Text size="sm">
            {t('allowance.period', { from: a.period })}
            {a.shared ? ` · ${t('allowance.shared')}` : ''}
            {a.updatedAt ? ` · ${t('allowance.updated', { at: formatTime(a.updatedAt) })}` : ` · ${t('allowance.nothingYet')}`}
          </Text>
          {a.limit && (
            <Alert color="orange" role="status" data-testid="allowance-limit">
              {a.limit.action === 'BLOCK'
                ? t('allowance.blocked', { at: formatTime(a.limit.since) })
                : t('allowance.throttled', { kbps: a.limit.kbps, at: formatTime(a.limit.since) })}
            </Alert>
          )}
          {a.meters.map((m) => (
            <div key={m.meter} data-testid={`allowance-${m.meter}`}>
              <Group justify="space-between">
                <Text fw={600}>{t(`allowance.meters.${m.meter.split(':')[0]}`, { zone: m.meter.split(':')[1] ?? '' })}</Text>
                <Text size="sm">
                  {m.included > 0
                    ? t('allowance.usedOf', { used: amount(m.meter, m.used), included: amount(m.meter, m.included), left: amount(m.meter, m.remaining) })
                    : t('allowance.usedOnly', { used: amount(m.meter, m.used) })}
                  {m.lineCharge > 0 ? ` · ${t('allowance.charged', { amount: formatMoney(m.lineCharge, a.currency) })}` : ''}
                </Text>
              </Group>
              {m.included > 0 && (
                <Progress
                  value={Math.min(100, (m.used / m.included) * 100)}
                  color={m.remaining === 0 ? 'red.9' : m.used >= m.included * 0.8 ? 'orange.9' : 'teal.9'}
                  aria-label={t('allowance.usedOf', { used: amount(m.meter, m.used), included: amount(m.meter, m.included), left: amount(m.meter, m.remaining) })}
                />
              )}
            </div>
          ))}
          {(a.carriedBytes > 0 || a.addedBytes > 0) && (
            <Text size="sm">{t('allowance.extra', { carried: mb(a.carriedBytes), added: mb(a.addedBytes) })}</Text>
          )}
          <Text size="sm" data-testid="allowance-charged">{t('allowance.total', { amount: formatMoney(charged, a.currency) })}</Text>
        </Stack>
      )}
    </Card>
  );
}
