// Re-rating the tenant's whole month, for billing staff: a run is quoted in the background
// (the page polls it while it works), then shows what every pool would be charged now and
// after, with the pools that change; applying it needs a confirmation naming the new total.
// Pools whose usage moved after the quote are left alone and counted, for a new run.
import { Alert, Badge, Button, Card, Group, Select, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatMoney, formatTime } from '../i18n';
import { useCan } from '../permissions';
import { Confirm } from '../ui/Confirm';
import { ApiError } from '../ui/errors';

const RunsQuery = graphql(`
  query RerateRuns {
    usageRerateRuns(first: 5) {
      id period status pools records before after changed poolsChanged poolsApplied poolsMoved
      currency error requestedBy createdAt
      changedPools(first: 20) { poolOwnerId lineId records before after outcome }
    }
  }
`);

const StartMutation = graphql(`
  mutation RerateRunStart($period: NaiveDate) { usageRerateRunStart(input: { period: $period }) { run { id status } } }
`);

// This month and the two before it, as the first day of each (the API's period).
function months(): { value: string; label: string }[] {
  const now = new Date();
  return [0, 1, 2].map((back) => {
    const d = new Date(now.getFullYear(), now.getMonth() - back, 1);
    const ym = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
    return { value: `${ym}-01`, label: ym };
  });
}

const ApplyMutation = graphql(`
  mutation RerateRunApply($id: ID!, $after: Int!) {
    usageRerateRunApply(input: { id: $id, expectedAfter: $after }) { run { id status } }
  }
`);

export function RerateRuns() {
  const { t } = useTranslation();
  const can = useCan();
  const [{ data, error }, reload] = useQuery({ query: RunsQuery, requestPolicy: 'network-only' });
  const [started, start] = useMutation(StartMutation);
  const [applied, apply] = useMutation(ApplyMutation);
  const [confirming, setConfirming] = useState(false);
  const choices = months();
  // Last month by default: a month still receiving usage moves under a quote.
  const [period, setPeriod] = useState<string>(choices[1].value);
  const runs = data?.usageRerateRuns ?? [];
  const latest = runs[0];
  const working = latest && (latest.status === 'QUOTING' || latest.status === 'APPLYING');
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => reload({ requestPolicy: 'network-only' }), 1000);
    return () => clearInterval(timer);
  }, [working, reload]);
  const money = (n: number) => formatMoney(n, latest?.currency ?? undefined);
  return (
    <Card withBorder data-testid="rerate-runs">
      <Title order={3} size="h4" mb="sm">{t('rerateRun.title')}</Title>
      <Text size="sm" mb="sm">{t('rerateRun.effect')}</Text>
      <ApiError error={error ?? null} />
      <ApiError error={started.error ?? null} />
      <ApiError error={applied.error ?? null} />
      {latest && (
        <>
          <Group mb="xs">
            <Badge data-testid="rerate-run-status">{t(`rerateRun.status.${latest.status}`)}</Badge>
            <Text size="sm">{t('rerateRun.requested', { period: latest.period, by: latest.requestedBy, at: formatTime(latest.createdAt) })}</Text>
          </Group>
          <Text data-testid="rerate-run-summary">
            {t('rerateRun.summary', { pools: latest.pools, records: latest.records, before: money(latest.before), after: money(latest.after), changed: latest.changed, poolsChanged: latest.poolsChanged })}
          </Text>
          {latest.status === 'APPLIED' && (
            <Text data-testid="rerate-run-applied">{t('rerateRun.applied', { applied: latest.poolsApplied, moved: latest.poolsMoved })}</Text>
          )}
          {latest.error && <Alert color="red" role="alert" mt="xs">{t('rerateRun.failed', { error: latest.error })}</Alert>}
          {latest.changedPools.length > 0 && (
            <Table mt="xs">
              <Table.Thead>
                <Table.Tr><Table.Th>{t('rerateRun.line')}</Table.Th><Table.Th>{t('rerateRun.records')}</Table.Th><Table.Th>{t('rerate.before')}</Table.Th><Table.Th>{t('rerate.after')}</Table.Th><Table.Th>{t('rerateRun.outcome')}</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {latest.changedPools.map((p) => (
                  <Table.Tr key={p.poolOwnerId}>
                    <Table.Td><Link to={`/lines/${p.lineId}`}>{p.lineId.slice(0, 8)}</Link></Table.Td><Table.Td>{p.records}</Table.Td>
                    <Table.Td>{money(p.before)}</Table.Td><Table.Td>{money(p.after)}</Table.Td>
                    <Table.Td>{p.outcome ? t(`rerateRun.outcomes.${p.outcome}`) : ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </>
      )}
      {can('usage:update') && (
        <Group mt="sm" align="end">
          <Select w={140} label={t('rerateRun.month')} data={choices} value={period} allowDeselect={false} onChange={(v) => v && setPeriod(v)} />
          <Button variant="default" disabled={!!working} loading={started.fetching} onClick={async () => { await start({ period }); reload({ requestPolicy: 'network-only' }); }}>
            {t('rerateRun.start')}
          </Button>
          {latest?.status === 'QUOTED' && latest.poolsChanged > 0 && !confirming && (
            <Button onClick={() => setConfirming(true)}>{t('rerateRun.apply')}</Button>
          )}
        </Group>
      )}
      {confirming && latest && (
        <Confirm text={t('rerateRun.confirm', { before: money(latest.before), after: money(latest.after), pools: latest.poolsChanged })} yes={t('rerateRun.apply')} loading={applied.fetching}
          onCancel={() => setConfirming(false)}
          onYes={async () => { await apply({ id: latest.id, after: latest.after }); setConfirming(false); reload({ requestPolicy: 'network-only' }); }} />
      )}
    </Card>
  );
}
