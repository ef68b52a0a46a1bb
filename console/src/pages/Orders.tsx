// Orders: by state, held ones first with why they wait (approval, KYC); each links to its
// line; one that has not started can be cancelled with a reason.
import { Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { OrderStatus } from '../gql/graphql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';

const OrdersQuery = graphql(`
  query Orders($status: OrderStatus, $after: String) {
    orders(status: $status, first: 50, after: $after) {
      nodes { id kind status holdReason failure createdAt lineId line { msisdn } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const CancelMutation = graphql(`
  mutation OrderCancel($id: ID!, $reason: String!) {
    orderCancel(input: { id: $id, reason: $reason }) { order { id status } }
  }
`);

const STATES: OrderStatus[] = ['HELD', 'ACKNOWLEDGED', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED'];

export default function OrdersPage() {
  const { t } = useTranslation();
  const can = useCan();
  const [status, setStatus] = useState<OrderStatus | null>('HELD');
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }, reload] = useQuery({ query: OrdersQuery, variables: { status, after } });
  const [cancelled, cancel] = useMutation(CancelMutation);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const rows = data?.orders.nodes ?? [];
  return (
    <Stack>
      <Title order={2}>{t('orders.title')}</Title>
      <Select label={t('orders.state')} data={STATES} value={status} onChange={(v) => { setStatus(v as OrderStatus | null); setAfter(null); }} clearable placeholder={t('orders.all')} w={240} />
      <ApiError error={error ?? cancelled.error} />
      {data && rows.length === 0 && <Text>{t('orders.none')}</Text>}
      <Table striped data-testid="orders-list">
        <Table.Thead>
          <Table.Tr><Table.Th>{t('line.when')}</Table.Th><Table.Th>{t('line.orderKind')}</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th><Table.Th>{t('orders.line')}</Table.Th><Table.Th>{t('line.reason')}</Table.Th><Table.Th /></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((o) => (
            <Table.Tr key={o.id}>
              <Table.Td>{formatTime(o.createdAt)}</Table.Td><Table.Td>{o.kind}</Table.Td><Table.Td>{o.status}</Table.Td>
              <Table.Td>{o.lineId ? <Link to={`/lines/${o.lineId}`}>{o.line?.msisdn ?? o.lineId.slice(0, 8)}</Link> : '—'}</Table.Td>
              <Table.Td>{o.holdReason ?? o.failure ?? '—'}</Table.Td>
              <Table.Td>
                {can('order:cancel') && (o.status === 'HELD' || o.status === 'ACKNOWLEDGED') && (
                  <Group gap={4} wrap="nowrap">
                    <TextInput size="xs" aria-label={t('orders.cancelReason')} placeholder={t('orders.cancelReason')} value={reasons[o.id] ?? ''} onChange={(e) => setReasons({ ...reasons, [o.id]: e.currentTarget.value })} />
                    <Button size="compact-sm" variant="outline" color="red.9" disabled={!(reasons[o.id] ?? '').trim()} onClick={async () => {
                      const r = await cancel({ id: o.id, reason: reasons[o.id] ?? '' });
                      if (r.data) reload({ requestPolicy: 'network-only' });
                    }}>{t('orders.cancel')}</Button>
                  </Group>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        {after && <Button variant="default" onClick={() => setAfter(null)}>{t('common.first')}</Button>}
        {data?.orders.pageInfo.hasNextPage && <Button variant="default" onClick={() => setAfter(data.orders.pageInfo.endCursor ?? null)}>{t('common.next')}</Button>}
      </Group>
    </Stack>
  );
}
