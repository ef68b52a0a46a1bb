// A line's usage on the line page: the latest records of the last 30 days as the carrier sent
// them (data in MB, calls in seconds, messages), newest first. Shown to roles with usage:read.
import { Card, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';

const LineUsageQuery = graphql(`
  query LineUsage($id: ID!, $from: DateTime!, $to: DateTime!) {
    lineUsage(lineId: $id, from: $from, to: $to, first: 20) {
      edges { node { source recordId kind occurredAt bytesUp bytesDown seconds destination roamingZone } }
      pageInfo { hasNextPage }
    }
  }
`);

export function LineUsage({ lineId }: { lineId: string }) {
  const { t } = useTranslation();
  // The window is fixed when the card opens: variables computed at each render would be a new
  // query at each render, refetching without end.
  const [span] = useState(() => ({
    from: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    to: new Date(Date.now() + 86_400_000).toISOString(),
  }));
  const [{ data, error }] = useQuery({ query: LineUsageQuery, variables: { id: lineId, ...span } });
  const rows = data?.lineUsage?.edges.map((e) => e.node) ?? [];
  const amount = (r: (typeof rows)[number]) =>
    r.kind === 'DATA'
      ? t('usage.megabytes', { mb: ((r.bytesUp + r.bytesDown) / 1_000_000).toFixed(2) })
      : r.kind === 'VOICE'
        ? t('usage.seconds', { s: r.seconds })
        : t('usage.message');
  return (
    <Card withBorder data-testid="line-usage">
      <Title order={3} size="h4" mb="sm">{t('usage.lineTitle')}</Title>
      {error ? <Text c="red.9">{error.message}</Text> : rows.length === 0 ? (
        <Text>{t('usage.noneRecently')}</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr><Table.Th>{t('usage.when')}</Table.Th><Table.Th>{t('usage.kind')}</Table.Th><Table.Th>{t('usage.amount')}</Table.Th><Table.Th>{t('usage.where')}</Table.Th><Table.Th>{t('usage.record')}</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={`${r.source}/${r.recordId}`}>
                <Table.Td>{formatTime(r.occurredAt)}</Table.Td>
                <Table.Td>{t(`usage.kinds.${r.kind}`)}</Table.Td>
                <Table.Td>{amount(r)}</Table.Td>
                <Table.Td>{r.roamingZone ? t('usage.roaming', { zone: r.roamingZone }) : r.destination ?? t('usage.home')}</Table.Td>
                <Table.Td>{r.recordId}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {data?.lineUsage?.pageInfo.hasNextPage ? <Text size="sm" mt="xs">{t('usage.more')}</Text> : null}
    </Card>
  );
}
