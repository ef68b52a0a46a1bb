// Plugins: each plugin's versions and the hooks with what is in force; a candidate version
// replayed against the version in force on recorded real inputs — totals, and per input the
// lines that differ — and then, if it looks right, its activation requested (a second person
// approves). Replaying changes nothing. Upload and rollback are in PluginManage.
import { Badge, Button, Card, Code, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClient, useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { PluginReplayQuery } from '../gql/graphql';
import { formatMoney, formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';
import { ManifestEditor, RollbackHook, UploadVersion } from './PluginManage';

const PluginsQuery = graphql(`
  query Plugins {
    plugins { id name world description versions { id version digest sizeBytes uploadedBy createdAt failureCount manifest manifestRev } }
    pluginHooks { hook inForce activation { status versionId updatedAt } }
  }
`);

const ReplayQuery = graphql(`
  query PluginReplay($version: ID!) {
    pluginReplay(input: { versionId: $version, samples: true }) {
      inputs changed unchanged candidateErrors baselineErrors baselineTotal candidateTotal totalDelta
      baseline { kind version } candidate { kind version }
      items { source subject baselineTotal candidateTotal delta changed differences baselineError candidateError }
    }
  }
`);

const ActivateMutation = graphql(`
  mutation PluginActivate($hook: String!, $version: ID!, $reason: String!) {
    pluginActivate(input: { hook: $hook, versionId: $version, reason: $reason }) { approvalRequest { id status } }
  }
`);

type Report = PluginReplayQuery['pluginReplay'];

export default function PluginsPage() {
  const { t } = useTranslation();
  const can = useCan();
  const client = useClient();
  const [{ data, error }, reload] = useQuery({ query: PluginsQuery });
  const again = () => reload({ requestPolicy: 'network-only' });
  const [report, setReport] = useState<{ version: string; world: string; r: Report } | null>(null);
  const [replayError, setReplayError] = useState<Parameters<typeof ApiError>[0]['error']>(null);
  const [activated, activate] = useMutation(ActivateMutation);
  const [hook, setHook] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [requested, setRequested] = useState<string | null>(null);
  const inForce = new Set((data?.pluginHooks ?? []).map((h) => h.activation?.versionId).filter(Boolean));
  const replay = async (version: string, world: string) => {
    setReport(null);
    setRequested(null);
    const r = await client.query(ReplayQuery, { version }, { requestPolicy: 'network-only' }).toPromise();
    setReplayError(r.error ?? null);
    if (r.data) setReport({ version, world, r: r.data.pluginReplay });
    setHook(world === 'channel' ? null : world);
  };
  return (
    <Stack>
      <Title order={2}>{t('plugins.title')}</Title>
      <ApiError error={error} />
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">{t('plugins.hooks')}</Title>
        {(data?.pluginHooks ?? []).map((h) => (
          <div key={h.hook} data-testid="hook">
            <Text size="sm" span>{h.hook}: {h.inForce}{h.activation ? ` · ${h.activation.status} · ${formatTime(h.activation.updatedAt)}` : ''}</Text>
            {h.activation && can('plugin:activate') && <RollbackHook hook={h.hook} onDone={again} />}
          </div>
        ))}
      </Card>
      {can('plugin:create') && <UploadVersion onDone={again} />}
      {(data?.plugins ?? []).map((p) => (
        <Card withBorder key={p.id} data-testid="plugin">
          <Title order={3} size="h4">{p.name} <Badge variant="outline">{p.world}</Badge></Title>
          {p.description && <Text size="sm">{p.description}</Text>}
          <Table mt="xs">
            <Table.Tbody>
              {p.versions.map((v) => (
                <Table.Tr key={v.id} data-testid="plugin-version">
                  <Table.Td fw={600}>{v.version}</Table.Td>
                  <Table.Td>{inForce.has(v.id) ? <Badge color="teal.9">{t('plugins.inForce')}</Badge> : null}</Table.Td>
                  <Table.Td><Code>{v.digest.slice(0, 12)}</Code></Table.Td>
                  <Table.Td>{v.uploadedBy} · {formatTime(v.createdAt)}</Table.Td>
                  <Table.Td>{t('plugins.failures', { count: v.failureCount })}</Table.Td>
                  <Table.Td>
                    {!inForce.has(v.id) && can('plugin:replay') && (
                      <Button size="compact-sm" onClick={() => void replay(v.id, p.world)}>{t('plugins.replay')}</Button>
                    )}
                    {!inForce.has(v.id) && can('plugin:update') && <ManifestEditor version={v} onDone={again} />}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ))}
      <ApiError error={replayError} />
      {report && <ReplayReport r={report.r} />}
      {report && can('plugin:activate') && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">{t('plugins.activate')}</Title>
          <Text size="sm" mb="xs">{t('plugins.activateEffect')}</Text>
          {requested && <Text role="status" c="blue.9">{t('line.requested', { id: requested })}</Text>}
          <ApiError error={activated.error} />
          <Group align="end">
            <Select label={t('plugins.hook')} data={(data?.pluginHooks ?? []).map((h) => h.hook)} value={hook} onChange={setHook} allowDeselect={false} />
            <TextInput label={t('line.reasonLabel')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} style={{ flex: 1 }} />
            <Button disabled={!hook || !reason.trim()} loading={activated.fetching} onClick={async () => {
              const r = await activate({ hook: hook ?? '', version: report.version, reason });
              if (r.data) setRequested(r.data.pluginActivate.approvalRequest.id);
            }}>{t('plugins.requestActivation')}</Button>
          </Group>
        </Card>
      )}
    </Stack>
  );
}

function ReplayReport({ r }: { r: Report }) {
  const { t } = useTranslation();
  return (
    <Card withBorder data-testid="replay">
      <Title order={3} size="h4" mb="xs">
        {t('plugins.replayOf', { candidate: r.candidate.version ?? r.candidate.kind, baseline: r.baseline.version ?? r.baseline.kind })}
      </Title>
      <Text size="sm" data-testid="replay-summary">
        {t('plugins.summary', { inputs: r.inputs, changed: r.changed, unchanged: r.unchanged, errors: r.candidateErrors })}
      </Text>
      <Text size="sm">
        {t('plugins.totals', { baseline: formatMoney(r.baselineTotal), candidate: formatMoney(r.candidateTotal), delta: formatMoney(r.totalDelta) })}
      </Text>
      <Table mt="xs">
        <Table.Thead>
          <Table.Tr><Table.Th>{t('plugins.input')}</Table.Th><Table.Th>{t('plugins.before')}</Table.Th><Table.Th>{t('plugins.after')}</Table.Th><Table.Th>{t('plugins.differences')}</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {r.items.map((i) => (
            <Table.Tr key={`${i.source}:${i.subject}`} fw={i.changed ? 600 : undefined}>
              <Table.Td>{i.subject.slice(0, 8)} <Text span size="xs" c="dimmed">{i.source}</Text></Table.Td>
              <Table.Td>{i.baselineError ?? formatMoney(i.baselineTotal)}</Table.Td>
              <Table.Td>{i.candidateError ?? formatMoney(i.candidateTotal)}</Table.Td>
              <Table.Td data-testid="differences">{i.differences.length ? i.differences.map((d) => <div key={d}><Code>{d}</Code></div>) : '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}
