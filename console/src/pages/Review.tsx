// Lines waiting for a person: in review (the carrier refused or never answered) or pending.
import { Anchor, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';

const WaitingQuery = graphql(`
  query LinesWaiting {
    review: lines(status: NEEDS_REVIEW, first: 100) { edges { node { id msisdn status statusReason updatedAt } } }
    pending: lines(status: PENDING, first: 100) { edges { node { id msisdn status statusReason updatedAt } } }
  }
`);

export default function ReviewPage() {
  const { t } = useTranslation();
  const [{ data }] = useQuery({ query: WaitingQuery });
  const rows = [...(data?.review.edges ?? []), ...(data?.pending.edges ?? [])].map((e) => e.node);
  return (
    <Stack>
      <Title order={2}>{t('review.title')}</Title>
      {rows.length === 0 ? (
        <Text>{t('review.empty')}</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr><Table.Th>MSISDN</Table.Th><Table.Th>{t('line.status')}</Table.Th><Table.Th>{t('line.reason')}</Table.Th><Table.Th>{t('line.when')}</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td><Anchor component={Link} to={`/lines/${l.id}`}>{l.msisdn}</Anchor></Table.Td>
                <Table.Td>{l.status}</Table.Td><Table.Td>{l.statusReason ?? '—'}</Table.Td><Table.Td>{formatTime(l.updatedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
