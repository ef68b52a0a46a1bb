// Self-service, for a customer's own administrator and users: my lines (a user sees only
// their own), each with its state, plan and price, and requests — suspend a lost phone's
// line, resume it — that go to the operator for approval, their status visible here; their
// allowance this month, and data add-ons to buy when it runs out. What a
// customer cannot do here says who to ask instead.
import { Alert, Badge, Button, Card, Group, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { MyLinesQuery } from '../gql/graphql';
import { formatMoney, formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';
import { Allowance } from './Allowance';
import { DataAddOns } from './DataAddOns';
import { MyProfile } from './SelfProfile';

const MyLinesQuery = graphql(`
  query MyLines {
    lines(first: 50) {
      nodes {
        id msisdn status statusReason updatedAt
        plan { name }
        contract { price { inForce { monthlyFee currency } } }
        orders { id kind status holdReason approvalId failure createdAt }
      }
    }
  }
`);

const SuspendMutation = graphql(`
  mutation SelfSuspend($id: ID!, $reason: String!) {
    lineSuspend(input: { lineId: $id, reason: $reason }) { approvalRequest { id status } }
  }
`);

const ResumeMutation = graphql(`
  mutation SelfResume($id: ID!, $reason: String!) {
    lineResume(input: { lineId: $id, reason: $reason }) { approvalRequest { id status } }
  }
`);

export default function SelfServicePage() {
  const { t } = useTranslation();
  const [{ data, error }, reload] = useQuery({ query: MyLinesQuery });
  const lines = data?.lines.nodes ?? [];
  return (
    <Stack>
      <Title order={2}>{t('self.title')}</Title>
      <ApiError error={error} />
      {data && lines.length === 0 && <Text>{t('self.none')}</Text>}
      {lines.map((l) => (
        <MyLine key={l.id} line={l} onChange={() => reload({ requestPolicy: 'network-only' })} />
      ))}
      <MyProfile />
    </Stack>
  );
}

type Line = MyLinesQuery['lines']['nodes'][number];

function MyLine({ line: l, onChange }: { line: Line; onChange: () => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const [reason, setReason] = useState('');
  const [sent, setSent] = useState(false);
  const [added, setAdded] = useState(0);
  const [suspended, suspend] = useMutation(SuspendMutation);
  const [resumed, resume] = useMutation(ResumeMutation);
  const waiting = l.orders.some(
    (o) => o.status === 'HELD' && o.approvalId !== null && (o.kind === 'suspend' || o.kind === 'resume'),
  );
  const price = l.contract.price.inForce;
  const may = can('self_service:request');
  return (
    <Card withBorder data-testid="my-line">
      <Group justify="space-between">
        <Title order={3} size="h4">{l.msisdn}</Title>
        <Badge size="lg" color={l.status === 'ACTIVE' ? 'teal.9' : 'gray.8'} data-testid="my-line-status">{l.status}</Badge>
      </Group>
      <Text size="sm">{l.plan.name} · {formatMoney(price.monthlyFee, price.currency)}{t('line.perMonth')} · {t('line.since', { at: formatTime(l.updatedAt) })}</Text>
      <Stack mt="md">
        <Allowance key={added} lineId={l.id} />
        {may && l.status === 'ACTIVE' && <DataAddOns lineId={l.id} onBought={() => setAdded((n) => n + 1)} />}
      </Stack>
      <Title order={4} size="h5" mt="md">{t('self.requests')}</Title>
      {l.orders.length === 0 ? (
        <Text size="sm">{t('self.noRequests')}</Text>
      ) : (
        <Table data-testid="my-requests">
          <Table.Tbody>
            {l.orders.map((o) => (
              <Table.Tr key={o.id}>
                <Table.Td>{formatTime(o.createdAt)}</Table.Td><Table.Td>{t(`self.kind.${o.kind}`, { defaultValue: o.kind })}</Table.Td>
                <Table.Td>{o.status === 'HELD' && o.approvalId ? t('self.waitingApproval') : t(`self.status.${o.status}`, { defaultValue: o.status })}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {(l.status === 'ACTIVE' || l.status === 'SUSPENDED') && (
        <Stack gap="xs" mt="md">
          {!may ? (
            <Alert color="gray">{t('self.askAdmin')}</Alert>
          ) : waiting ? (
            <Text size="sm" role="status">{t('self.alreadyWaiting')}</Text>
          ) : (
            <>
              <Text size="sm">{l.status === 'ACTIVE' ? t('self.suspendEffect') : t('self.resumeEffect')}</Text>
              <Group align="end">
                <Textarea label={t('self.why')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={1} style={{ flex: 1 }} />
                <Button color={l.status === 'ACTIVE' ? 'orange.9' : undefined} disabled={!reason.trim()} loading={suspended.fetching || resumed.fetching} onClick={async () => {
                  const r = l.status === 'ACTIVE' ? await suspend({ id: l.id, reason }) : await resume({ id: l.id, reason });
                  if (r.data) {
                    setSent(true);
                    setReason('');
                    onChange();
                  }
                }}>{l.status === 'ACTIVE' ? t('self.requestSuspend') : t('self.requestResume')}</Button>
              </Group>
            </>
          )}
          {sent && <Alert color="blue" role="status">{t('self.sent')}</Alert>}
          <ApiError error={suspended.error ?? resumed.error} />
          <Text size="xs" c="dimmed">{t('self.terminate')}</Text>
        </Stack>
      )}
    </Card>
  );
}
