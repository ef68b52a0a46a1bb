// The phone-call page: the line's state with since-when and why, its customer, contract,
// plan and SIM; its carrier steps with what they wait for; its history (who, when, what);
// and the requests the user may make, each saying what it will do before it does it.
import { Alert, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { LineStatus } from '../gql/graphql';
import { formatMoney, formatTime } from '../i18n';
import { useCan } from '../permissions';
import { Allowance } from './Allowance';
import { DataAddOns } from './DataAddOns';
import { Rerate } from './Rerate';
import { LineUsage } from './LineUsage';
import { PlanChange } from './PlanChange';

const LineQuery = graphql(`
  query LinePage($id: ID!, $prices: Boolean!, $orders: Boolean!, $jobs: Boolean!) {
    line(id: $id) {
      id msisdn status statusReason updatedAt esimProfileId
      customer { id name kycStatus }
      contract {
        id status startedAt
        price @include(if: $prices) { inForce { monthlyFee currency } nextChange { effectiveAt price { monthlyFee currency applies } } }
      }
      plan { id code name }
      orders @include(if: $orders) { id kind status holdReason failure createdAt }
      sim { iccid status }
      provisioningJobs @include(if: $jobs) {
        id action status attempts waitingFor nextAttemptAt lastError answer createdAt exhaustedAt
        carrierAttempts { at kind outcome answer durationMs }
      }
      history { id occurredAt actorLabel action }
    }
  }
`);

const SuspendMutation = graphql(`
  mutation LineSuspendRequest($id: ID!, $reason: String!) {
    lineSuspend(input: { lineId: $id, reason: $reason }) { approvalRequest { id status } }
  }
`);

const RetryMutation = graphql(`
  mutation CarrierJobRetry($id: ID!) {
    carrierJobRetry(input: { jobId: $id }) { job { id status } }
  }
`);

const ResolveMutation = graphql(`
  mutation LineReviewResolve($id: ID!, $status: LineStatus!, $reason: String!) {
    lineReviewResolve(input: { lineId: $id, status: $status, reason: $reason }) { approvalRequest { id } }
  }
`);

const ResumeMutation = graphql(`
  mutation LineResumeRequest($id: ID!, $reason: String!) {
    lineResume(input: { lineId: $id, reason: $reason }) { approvalRequest { id status } }
  }
`);

// Shades with at least 4.5:1 contrast for the badge's text (chosen by autoContrast).
function statusColor(s: string): string {
  if (s === 'ACTIVE') return 'teal.9';
  if (s === 'SUSPENDED' || s === 'TERMINATED') return 'gray.8';
  if (s === 'NEEDS_REVIEW') return 'red.9';
  return 'yellow.4';
}

export default function LinePage() {
  const { t } = useTranslation();
  const can = useCan();
  const { id = '' } = useParams();
  const [{ data, error }, reload] = useQuery({ query: LineQuery, variables: { id, prices: can('contract:read'), orders: can('order:read'), jobs: can('carrier:read') } });
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [suspendState, suspend] = useMutation(SuspendMutation);
  const [resumeState, resume] = useMutation(ResumeMutation);
  const [retryState, retry] = useMutation(RetryMutation);
  const [resolveState, resolve] = useMutation(ResolveMutation);
  const [resolveAs, setResolveAs] = useState<string | null>('ACTIVE');
  const [rated, setRated] = useState(0);
  if (error) return <Alert color="red">{t('errors.generic', { message: error.message })}</Alert>;
  const l = data?.line;
  if (!l) return null;
  // Roles without `contract:read` or `order:read` (an approver) see the page without them.
  const inForce = l.contract.price?.inForce;
  const announced = l.contract.price?.nextChange;
  const orders = l.orders ?? [];
  const open = orders.filter((o) => o.status === 'HELD' || o.status === 'ACKNOWLEDGED' || o.status === 'IN_PROGRESS');
  const mayRequest = l.status === 'ACTIVE' ? can('line:suspend') : can('line:resume');
  const failed = suspendState.error ?? resumeState.error ?? retryState.error ?? resolveState.error;
  const forbidden = failed?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN');
  const act = async (which: 'suspend' | 'resume') => {
    const a =
      which === 'suspend'
        ? (await suspend({ id, reason })).data?.lineSuspend
        : (await resume({ id, reason })).data?.lineResume;
    if (a) {
      setDone(a.approvalRequest.id);
      setReason('');
      reload({ requestPolicy: 'network-only' });
    }
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('line.title', { msisdn: l.msisdn })}</Title>
        <Badge size="xl" color={statusColor(l.status)} autoContrast data-testid="line-status">
          {l.status}
        </Badge>
      </Group>
      <Text size="sm" c="dimmed">
        {t('line.since', { at: formatTime(l.updatedAt) })}
        {l.statusReason ? ` · ${t('line.reason')}: ${l.statusReason}` : ''}
      </Text>
      <SimpleGrid cols={{ base: 1, md: 4 }}>
        <Card withBorder>
          <Text size="xs" c="dimmed">{t('line.customer')}</Text>
          <Text fw={600}>{l.customer.name}</Text>
          <Text size="sm">{t('line.kyc')}: {l.customer.kycStatus}</Text>
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">{t('line.plan')}</Text>
          <Text fw={600}>{l.plan.name}</Text>
          <Text size="sm">{l.plan.code}{inForce ? ` · ${formatMoney(inForce.monthlyFee, inForce.currency)}${t('line.perMonth')}` : ''}</Text>
          {announced && (
            <Text size="sm" data-testid="next-price">
              {t('line.nextPrice', { fee: formatMoney(announced.price.monthlyFee, announced.price.currency), at: formatTime(announced.effectiveAt) })}
            </Text>
          )}
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">{t('line.contract')}</Text>
          <Text fw={600}>{l.contract.status}</Text>
          <Text size="sm">{formatTime(l.contract.startedAt)}</Text>
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">{l.sim ? t('line.sim') : t('line.esim')}</Text>
          <Text fw={600} data-testid="line-sim">{l.sim?.iccid ?? (l.esimProfileId ? 'eSIM' : t('line.noSim'))}</Text>
          <Text size="sm">{l.sim?.status ?? ''}</Text>
        </Card>
      </SimpleGrid>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('line.actions')}</Title>
        {done && <Alert color="blue" mb="sm" role="status">{t('line.requested', { id: done })}</Alert>}
        {forbidden && <Alert color="orange" mb="sm">{t('line.notAllowed')}</Alert>}
        {failed && !forbidden && (
          <Alert color="red" mb="sm" role="alert">
            {t('errors.generic', { message: failed.graphQLErrors[0]?.message ?? failed.message })}
          </Alert>
        )}
        {l.status === 'ACTIVE' && <Text size="sm" mb="xs">{t('line.suspendEffect')}</Text>}
        {l.status === 'SUSPENDED' && <Text size="sm" mb="xs">{t('line.resumeEffect')}</Text>}
        {(l.status === 'ACTIVE' || l.status === 'SUSPENDED') && !mayRequest && <Text size="sm">{t('line.notAllowed')}</Text>}
        {(l.status === 'ACTIVE' || l.status === 'SUSPENDED') && mayRequest && (
          <Group align="end">
            <Textarea label={t('line.reasonLabel')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={1} style={{ flex: 1 }} />
            {l.status === 'ACTIVE' ? (
              <Button color="orange" disabled={!reason.trim()} loading={suspendState.fetching} onClick={() => void act('suspend')}>{t('line.suspend')}</Button>
            ) : (
              <Button disabled={!reason.trim()} loading={resumeState.fetching} onClick={() => void act('resume')}>{t('line.resume')}</Button>
            )}
          </Group>
        )}
        {(l.status === 'NEEDS_REVIEW' || l.status === 'PENDING') && can('line:review') && (
          <Stack gap="xs">
            <Text fw={600}>{t('line.resolveTitle')}</Text>
            <Text size="sm">{t('line.resolveEffect')}</Text>
            <Group align="end">
              <Select label={t('line.resolveAs')} data={['ACTIVE', 'SUSPENDED', 'TERMINATED']} value={resolveAs} onChange={setResolveAs} allowDeselect={false} />
              <Textarea label={t('line.reasonLabel')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={1} style={{ flex: 1 }} />
              <Button disabled={!reason.trim() || !resolveAs} loading={resolveState.fetching} onClick={async () => {
                const r = await resolve({ id, status: (resolveAs ?? 'ACTIVE') as LineStatus, reason });
                if (r.data) {
                  setDone(r.data.lineReviewResolve.approvalRequest.id);
                  setReason('');
                }
              }}>{t('line.resolve')}</Button>
            </Group>
          </Stack>
        )}
        {l.status === 'ACTIVE' && can('order:create') && (
          <Card withBorder mt="md" p="sm">
            <PlanChange contractId={l.contract.id} currentPlanId={l.plan.id} onDone={() => reload({ requestPolicy: 'network-only' })} />
          </Card>
        )}
      </Card>

      {can('usage:read') && <Allowance key={rated} lineId={l.id} />}
      {can('usage:read') && can('order:create') && l.status === 'ACTIVE' && <DataAddOns lineId={l.id} onBought={() => setRated((n) => n + 1)} />}
      {can('usage:update') && <Rerate lineId={l.id} onDone={() => setRated((n) => n + 1)} />}
      {can('usage:read') && <LineUsage lineId={l.id} />}

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('line.orders')}</Title>
        {!l.orders ? (
          <Text size="sm">{t('line.ordersHidden')}</Text>
        ) : orders.length === 0 ? (
          <Text size="sm">{t('line.noOrders')}</Text>
        ) : (
          <Table data-testid="orders">
            <Table.Thead>
              <Table.Tr><Table.Th>{t('line.when')}</Table.Th><Table.Th>{t('line.orderKind')}</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th><Table.Th>{t('line.reason')}</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {orders.map((o) => (
                <Table.Tr key={o.id} fw={open.includes(o) ? 600 : undefined}>
                  <Table.Td>{formatTime(o.createdAt)}</Table.Td><Table.Td>{o.kind}</Table.Td><Table.Td>{o.status}</Table.Td><Table.Td>{o.holdReason ?? o.failure ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('line.carrier')}</Title>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('line.step')}</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th><Table.Th>{t('line.attempts')}</Table.Th>
              <Table.Th>{t('line.waiting')}</Table.Th><Table.Th>{t('line.next')}</Table.Th><Table.Th>{t('line.answer')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(l.provisioningJobs ?? []).map((j) => (
              <Fragment key={j.id}>
                <Table.Tr data-testid="job">
                  <Table.Td>{j.action}</Table.Td><Table.Td>{j.status}</Table.Td><Table.Td>{j.attempts}</Table.Td>
                  <Table.Td>{j.waitingFor ?? '—'}</Table.Td><Table.Td>{formatTime(j.nextAttemptAt)}</Table.Td>
                  <Table.Td>
                    {j.lastError ?? j.answer ?? '—'}
                    {j.exhaustedAt && can('line:carrier_retry') && (j.status === 'queued' || j.status === 'running') && (
                      <Button size="compact-sm" ml="sm" loading={retryState.fetching} onClick={async () => {
                        const r = await retry({ id: j.id });
                        if (r.data) reload({ requestPolicy: 'network-only' });
                      }}>{t('line.retry')}</Button>
                    )}
                  </Table.Td>
                </Table.Tr>
                {j.carrierAttempts.length > 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={6}>
                      <Text size="xs" fw={600}>{t('line.attemptsOf')}</Text>
                      {j.carrierAttempts.map((a, i) => (
                        <Text size="xs" key={i} data-testid="attempt">
                          {formatTime(a.at)} · {a.kind} · {a.outcome} · {a.durationMs} ms · {a.answer}
                        </Text>
                      ))}
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('line.history')}</Title>
        <Table>
          <Table.Thead>
            <Table.Tr><Table.Th>{t('line.when')}</Table.Th><Table.Th>{t('line.who')}</Table.Th><Table.Th>{t('line.what')}</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...l.history].reverse().map((h) => (
              <Table.Tr key={h.id}>
                <Table.Td>{formatTime(h.occurredAt)}</Table.Td><Table.Td>{h.actorLabel}</Table.Td><Table.Td>{h.action}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
    </Stack>
  );
}
