// The tenant's carrier: its connection (endpoint, sealed keys, the callback secret shown
// once), its usage feed as the worker reads it, and reconciliation: run it now, its runs, and what each found, drift that needs a
// person first.
import { Alert, Button, Card, Checkbox, Code, Group, NumberInput, PasswordInput, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { CarrierFeed } from './CarrierFeed';

const SettingsQuery = graphql(`
  query CarrierSettings {
    carrierSettings { endpoint enabled timeoutMs version callbackPath smdpEndpoint }
  }
`);

const SettingsMutation = graphql(`
  mutation CarrierSettingsSave($input: CarrierSettingsInput!) {
    carrierSettingsSet(input: $input) { settings { version } callbackSecret }
  }
`);

const RunsQuery = graphql(`
  query ReconciliationRuns {
    reconciliationRuns(first: 10) { id trigger status linesChecked inSync drifted repaired needsPerson error startedAt finishedAt }
  }
`);

const ReconcileMutation = graphql(`
  mutation CarrierReconcile {
    carrierReconcile { id status }
  }
`);

const ItemsQuery = graphql(`
  query ReconciliationItems($runId: ID, $needsPerson: Boolean!) {
    reconciliationItems(runId: $runId, needsPerson: $needsPerson, first: 100) {
      edges { node { id msisdn kind action rule note } }
    }
  }
`);

export default function CarrierPage() {
  const { t } = useTranslation();
  const [{ data, error: readError }, reload] = useQuery({ query: SettingsQuery });
  const [save, saveIt] = useMutation(SettingsMutation);
  const current = data?.carrierSettings;
  const [endpoint, setEndpoint] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [timeoutMs, setTimeoutMs] = useState<number | string>(10000);
  const [smdpEndpoint, setSmdpEndpoint] = useState('');
  const [smdpApiKey, setSmdpApiKey] = useState('');
  const [done, setDone] = useState<{ version: number; secret?: string | null } | null>(null);
  useEffect(() => {
    if (current) {
      setEndpoint(current.endpoint);
      setEnabled(current.enabled);
      setTimeoutMs(current.timeoutMs);
      setSmdpEndpoint(current.smdpEndpoint ?? '');
    }
  }, [current]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await saveIt({
      input: {
        endpoint,
        apiKey: apiKey || null,
        enabled,
        timeoutMs: Number(timeoutMs),
        version: current?.version ?? null,
        smdpEndpoint: smdpEndpoint || null,
        smdpApiKey: smdpApiKey || null,
      },
    });
    const p = r.data?.carrierSettingsSet;
    if (p) {
      setDone({ version: p.settings.version, secret: p.callbackSecret });
      setApiKey('');
      setSmdpApiKey('');
      reload({ requestPolicy: 'network-only' });
    }
  };
  const error = save.error?.graphQLErrors[0];
  // What the user may do comes from the API's answer, not from a copy of the policy here.
  if (readError?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN')) {
    return <Alert color="orange">{t('line.notAllowed')}</Alert>;
  }
  return (
    <Stack>
      <Title order={2}>{t('carrier.title')}</Title>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('carrier.settings')}</Title>
        {!current && <Text mb="sm">{t('carrier.notSet')}</Text>}
        <form onSubmit={submit}>
          <Stack>
            <TextInput label={t('carrier.endpoint')} required value={endpoint} onChange={(e) => setEndpoint(e.currentTarget.value)}
              error={error?.extensions?.field === 'input.endpoint' ? error.message : undefined} />
            <PasswordInput label={t('carrier.apiKey')} value={apiKey} onChange={(e) => setApiKey(e.currentTarget.value)} autoComplete="off" />
            <Group>
              <Switch label={t('carrier.enabled')} checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
              <NumberInput label={t('carrier.timeout')} value={timeoutMs} onChange={setTimeoutMs} min={100} max={60000} />
            </Group>
            <TextInput label={t('carrier.smdpEndpoint')} value={smdpEndpoint} onChange={(e) => setSmdpEndpoint(e.currentTarget.value)} />
            <PasswordInput label={t('carrier.smdpApiKey')} value={smdpApiKey} onChange={(e) => setSmdpApiKey(e.currentTarget.value)} autoComplete="off" />
            {error && <Alert color="red" role="alert">{error.message}</Alert>}
            {done && (
              <Alert color="blue" role="status">
                {t('carrier.saved', { version: done.version })}
                {done.secret && (
                  <>
                    <br />
                    {t('carrier.secret')} <Code data-testid="callback-secret">{done.secret}</Code>
                  </>
                )}
              </Alert>
            )}
            {current && <Text size="sm">{t('carrier.callbackPath')}: <Code>{current.callbackPath}</Code></Text>}
            <Group><Button type="submit" loading={save.fetching}>{t('carrier.save')}</Button></Group>
          </Stack>
        </form>
      </Card>
      {current && <CarrierFeed />}
      {current && <Reconciliation />}
    </Stack>
  );
}

function Reconciliation() {
  const { t } = useTranslation();
  const [{ data }, reload] = useQuery({ query: RunsQuery });
  const [, start] = useMutation(ReconcileMutation);
  const [run, setRun] = useState<string | null>(null);
  const [onlyPerson, setOnlyPerson] = useState(false);
  const runs = data?.reconciliationRuns ?? [];
  const running = runs.some((r) => r.status === 'running');
  const selected = runs.find((r) => r.id === run);
  useEffect(() => {
    if (!running) return;
    const h = window.setInterval(() => reload({ requestPolicy: 'network-only' }), 1000);
    return () => window.clearInterval(h);
  }, [running, reload]);
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">{t('carrier.runs')}</Title>
        <Button loading={running} onClick={async () => {
          const r = await start({});
          if (r.data) {
            setRun(r.data.carrierReconcile.id);
            reload({ requestPolicy: 'network-only' });
          }
        }}>{t('carrier.runNow')}</Button>
      </Group>
      {runs.length === 0 ? <Text>{t('carrier.noRuns')}</Text> : (
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('carrier.started')}</Table.Th><Table.Th>{t('carrier.status')}</Table.Th><Table.Th>{t('carrier.checked')}</Table.Th>
              <Table.Th>{t('carrier.drifted')}</Table.Th><Table.Th>{t('carrier.repaired')}</Table.Th><Table.Th>{t('carrier.person')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {runs.map((r) => (
              <Table.Tr key={r.id} data-testid="run" onClick={() => setRun(r.id)} style={{ cursor: 'pointer' }} aria-selected={run === r.id}>
                <Table.Td><Button variant="subtle" size="compact-sm" onClick={() => setRun(r.id)}>{formatTime(r.startedAt)}</Button></Table.Td>
                <Table.Td>{r.status}{r.error ? `: ${r.error}` : ''}</Table.Td><Table.Td>{r.linesChecked}</Table.Td>
                <Table.Td>{r.drifted}</Table.Td><Table.Td>{r.repaired}</Table.Td><Table.Td>{r.needsPerson}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {run && !running && selected?.status !== 'running' && (
        <Stack mt="md">
          <Group justify="space-between">
            <Title order={4} size="h5">{t('carrier.items')}</Title>
            <Checkbox label={t('carrier.person')} checked={onlyPerson} onChange={(e) => setOnlyPerson(e.currentTarget.checked)} />
          </Group>
          {/* Read again once the run has finished (its items are written as it goes). */}
          <Items key={`${run}:${selected?.finishedAt ?? ''}`} runId={run} needsPerson={onlyPerson} />
        </Stack>
      )}
    </Card>
  );
}

function Items({ runId, needsPerson }: { runId: string; needsPerson: boolean }) {
  const { t } = useTranslation();
  const [{ data }] = useQuery({ query: ItemsQuery, variables: { runId, needsPerson }, requestPolicy: 'network-only' });
  const items = data?.reconciliationItems.edges.map((e) => e.node) ?? [];
  return (
    <Table data-testid="items">
      <Table.Thead>
        <Table.Tr><Table.Th>MSISDN</Table.Th><Table.Th>{t('carrier.kind')}</Table.Th><Table.Th>{t('carrier.action')}</Table.Th><Table.Th>{t('carrier.rule')}</Table.Th><Table.Th>{t('carrier.note')}</Table.Th></Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((i) => (
          <Table.Tr key={i.id}>
            <Table.Td>{i.msisdn}</Table.Td><Table.Td>{i.kind}</Table.Td><Table.Td>{i.action}</Table.Td><Table.Td>{i.rule}</Table.Td><Table.Td>{i.note}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
