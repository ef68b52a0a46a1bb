// Usage intake for billing staff: the latest submissions with their counts, and the records
// that could not be taken, each with its reason. A person re-processes a record (as sent,
// after fixing the line, or corrected field by field) or discards it saying why; nothing
// is dropped without a person.
import { Alert, Badge, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { Confirm } from '../ui/Confirm';
import { RerateRuns } from './RerateRuns';

const UsageQuery = graphql(`
  query UsagePage {
    usageBatches(first: 10) { id source format submittedBy status received accepted duplicates rejected failure createdAt }
    usageRejections(first: 100) {
      edges { node { id source position recordId code field reason attempts fields raw createdAt } }
    }
  }
`);

const ReprocessMutation = graphql(`
  mutation UsageRejectionReprocess($id: ID!, $record: UsageRecordInput) {
    usageRejectionReprocess(input: { id: $id, record: $record }) {
      rejection { id status reason field }
      submission { accepted rejected duplicates }
    }
  }
`);

const DiscardMutation = graphql(`
  mutation UsageRejectionDiscard($id: ID!, $reason: String!) {
    usageRejectionDiscard(input: { id: $id, reason: $reason }) { rejection { id status } }
  }
`);

type Fields = Record<string, string | undefined>;
const EDITABLE = ['recordId', 'type', 'msisdn', 'time', 'bytesUp', 'bytesDown', 'apn', 'seconds', 'destination', 'roamingZone'] as const;

function Correct({ id, fields, onDone }: { id: string; fields: Fields; onDone: (msg: string) => void }) {
  const { t } = useTranslation();
  const [v, setV] = useState<Fields>(fields);
  const [{ fetching, error }, run] = useMutation(ReprocessMutation);
  const num = (x?: string) => (x && x.trim() !== '' ? Number(x) : null);
  const submit = async () => {
    const r = await run({
      id,
      record: {
        recordId: v.recordId ?? '', type: v.type ?? '', msisdn: v.msisdn ?? '', time: v.time ?? '',
        bytesUp: num(v.bytesUp), bytesDown: num(v.bytesDown), seconds: num(v.seconds),
        apn: v.apn || null, destination: v.destination || null, roamingZone: v.roamingZone || null,
      },
    });
    const out = r.data?.usageRejectionReprocess;
    if (out) onDone(out.rejection.status === 'REPROCESSED' ? t('usage.taken') : t('usage.stillRefused', { reason: out.rejection.reason }));
  };
  return (
    <Stack gap="xs" mt="xs" data-testid="correct-form">
      <Group grow>
        {EDITABLE.map((k) => (
          <TextInput key={k} size="xs" label={t(`usage.fields.${k}`)} value={v[k] ?? ''} onChange={(e) => setV({ ...v, [k]: e.currentTarget.value })} />
        ))}
      </Group>
      {error && <Alert color="red" role="alert">{error.graphQLErrors[0]?.message ?? error.message}</Alert>}
      <Group><Button size="xs" loading={fetching} onClick={submit}>{t('usage.reprocessCorrected')}</Button></Group>
    </Stack>
  );
}

function RejectionRow({ r, onDone }: { r: { id: string; position: number; recordId?: string | null; code: string; field?: string | null; reason: string; attempts: number; fields: unknown; raw?: string | null; createdAt: string; source: string }; onDone: (msg: string) => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const [mode, setMode] = useState<'none' | 'correct' | 'discard'>('none');
  const [why, setWhy] = useState('');
  const [{ fetching: reprocessing }, reprocess] = useMutation(ReprocessMutation);
  const [{ fetching: discarding, error: discardError }, discard] = useMutation(DiscardMutation);
  const fields = (r.fields ?? {}) as Fields;
  return (
    <Table.Tr data-testid="rejection">
      <Table.Td>{formatTime(r.createdAt)}</Table.Td>
      <Table.Td>{r.source} #{r.position}</Table.Td>
      <Table.Td>{r.recordId ?? '—'}</Table.Td>
      <Table.Td><Badge variant="outline" color="red.9">{t(`usage.codes.${r.code}`)}</Badge></Table.Td>
      <Table.Td>{r.field ? `${r.field}: ` : ''}{r.reason}{r.attempts > 1 ? ` (${t('usage.attempts', { n: r.attempts })})` : ''}{r.raw ? <Text size="xs" ff="monospace">{r.raw}</Text> : null}</Table.Td>
      <Table.Td>
        {can('usage:update') ? (
          <Stack gap={4}>
            <Group gap="xs">
              {r.recordId && (
                <Button size="xs" variant="default" loading={reprocessing} onClick={async () => {
                  const x = await reprocess({ id: r.id });
                  const out = x.data?.usageRejectionReprocess;
                  if (out) onDone(out.rejection.status === 'REPROCESSED' ? t('usage.taken') : t('usage.stillRefused', { reason: out.rejection.reason }));
                }}>{t('usage.reprocess')}</Button>
              )}
              <Button size="xs" variant="default" onClick={() => setMode(mode === 'correct' ? 'none' : 'correct')}>{t('usage.correct')}</Button>
              <Button size="xs" variant="outline" color="red.9" onClick={() => setMode(mode === 'discard' ? 'none' : 'discard')}>{t('usage.discard')}</Button>
            </Group>
            {mode === 'correct' && <Correct id={r.id} fields={fields} onDone={onDone} />}
            {mode === 'discard' && (
              <Confirm text={t('usage.discardConfirm')} yes={t('usage.discard')} loading={discarding} onCancel={() => setMode('none')} onYes={async () => {
                const x = await discard({ id: r.id, reason: why });
                if (x.data) onDone(t('usage.discarded'));
              }}>
                <TextInput size="xs" label={t('usage.discardWhy')} value={why} onChange={(e) => setWhy(e.currentTarget.value)} />
              </Confirm>
            )}
            {discardError && <Alert color="red" role="alert">{discardError.graphQLErrors[0]?.message ?? discardError.message}</Alert>}
          </Stack>
        ) : <Text size="sm">{t('usage.askBilling')}</Text>}
      </Table.Td>
    </Table.Tr>
  );
}

export default function UsagePage() {
  const { t } = useTranslation();
  const [{ data, error }, reload] = useQuery({ query: UsageQuery });
  const [done, setDone] = useState<string | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const onDone = (msg: string) => { setDone(msg); reload({ requestPolicy: 'network-only' }); };
  const rejections = (data?.usageRejections.edges ?? []).map((e) => e.node).filter((r) => !code || r.code === code);
  return (
    <Stack>
      <Title order={2}>{t('usage.title')}</Title>
      {error && <Alert color="red" role="alert">{error.message}</Alert>}
      {done && <Alert role="status">{done}</Alert>}
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('usage.rejections')}</Title>
        <Select w={260} mb="sm" label={t('usage.filterCode')} clearable value={code} onChange={setCode}
          data={['malformed', 'unknown_msisdn', 'line_not_active', 'period_closed'].map((c) => ({ value: c.toUpperCase(), label: t(`usage.codes.${c.toUpperCase()}`) }))} />
        {rejections.length === 0 ? <Text>{t('usage.noRejections')}</Text> : (
          <Table data-testid="rejections">
            <Table.Thead>
              <Table.Tr><Table.Th>{t('usage.when')}</Table.Th><Table.Th>{t('usage.where')}</Table.Th><Table.Th>{t('usage.record')}</Table.Th><Table.Th>{t('usage.code')}</Table.Th><Table.Th>{t('usage.reason')}</Table.Th><Table.Th>{t('usage.actions')}</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rejections.map((r) => <RejectionRow key={r.id} r={r} onDone={onDone} />)}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      <RerateRuns />
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('usage.batches')}</Title>
        {(data?.usageBatches.length ?? 0) === 0 ? <Text>{t('usage.noBatches')}</Text> : (
          <Table data-testid="batches">
            <Table.Thead>
              <Table.Tr><Table.Th>{t('usage.when')}</Table.Th><Table.Th>{t('usage.source')}</Table.Th><Table.Th>{t('usage.by')}</Table.Th><Table.Th>{t('usage.status')}</Table.Th><Table.Th>{t('usage.counts')}</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data?.usageBatches.map((b) => (
                <Table.Tr key={b.id}>
                  <Table.Td>{formatTime(b.createdAt)}</Table.Td>
                  <Table.Td>{b.source} ({b.format})</Table.Td>
                  <Table.Td>{b.submittedBy}</Table.Td>
                  <Table.Td>{b.status}{b.failure ? `: ${b.failure}` : ''}</Table.Td>
                  <Table.Td>{t('usage.countsLine', { received: b.received, accepted: b.accepted, duplicates: b.duplicates, rejected: b.rejected })}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
    </Stack>
  );
}
