// The audit log: every change, newest first, filtered by action, target or actor; each
// record's before/after on demand; and the hash chain verified on request (auditors and
// admins), saying where it breaks if it does.
import { Alert, Button, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type CombinedError, useClient, useQuery } from 'urql';
import { graphql } from '../gql';
import type { AuditVerifyQuery } from '../gql/graphql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';

const AuditQuery = graphql(`
  query AuditLog($filter: AuditFilter!, $after: String) {
    auditLog(filter: $filter, first: 50, after: $after) {
      nodes { id seq occurredAt actorLabel action targetType targetId before after approvalId hash }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const VerifyQuery = graphql(`
  query AuditVerify {
    auditVerify { recordsChecked ok firstBrokenSeq reason }
  }
`);

export default function AuditPage() {
  const { t } = useTranslation();
  const can = useCan();
  const client = useClient();
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const filter = { action: action.trim() || null, targetId: target.trim() || null };
  const [{ data, error, fetching }] = useQuery({ query: AuditQuery, variables: { filter, after } });
  const [verdict, setVerdict] = useState<AuditVerifyQuery['auditVerify'] | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [verifyError, setVerifyError] = useState<CombinedError | null>(null);
  const rows = data?.auditLog.nodes ?? [];
  return (
    <Stack>
      <Title order={2}>{t('audit.title')}</Title>
      {can('audit:verify') && (
        <Group>
          <Button loading={verifying} onClick={async () => {
            setVerifying(true);
            const r = await client.query(VerifyQuery, {}, { requestPolicy: 'network-only' }).toPromise();
            setVerifying(false);
            setVerifyError(r.error ?? null);
            setVerdict(r.data?.auditVerify ?? null);
          }}>{t('audit.verify')}</Button>
          {verdict && (
            <Alert variant="filled" color={verdict.ok ? 'teal.9' : 'red.9'} role="status" data-testid="verdict">
              {verdict.ok
                ? t('audit.intact', { count: verdict.recordsChecked })
                : t('audit.broken', { seq: verdict.firstBrokenSeq, reason: verdict.reason })}
            </Alert>
          )}
        </Group>
      )}
      <Group align="end">
        <TextInput label={t('audit.action')} placeholder="line.status_change" value={action} onChange={(e) => { setAction(e.currentTarget.value); setAfter(null); }} />
        <TextInput label={t('audit.target')} value={target} onChange={(e) => { setTarget(e.currentTarget.value); setAfter(null); }} />
      </Group>
      <ApiError error={verifyError ?? error} />
      {!fetching && rows.length === 0 && <Text>{t('audit.none')}</Text>}
      <Table striped data-testid="audit">
        <Table.Thead>
          <Table.Tr><Table.Th>#</Table.Th><Table.Th>{t('line.when')}</Table.Th><Table.Th>{t('line.who')}</Table.Th><Table.Th>{t('line.what')}</Table.Th><Table.Th>{t('audit.target')}</Table.Th><Table.Th /></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Fragment key={r.id}>
              <Table.Tr>
                <Table.Td>{r.seq}</Table.Td><Table.Td>{formatTime(r.occurredAt)}</Table.Td><Table.Td>{r.actorLabel}</Table.Td>
                <Table.Td>{r.action}</Table.Td><Table.Td>{r.targetType} {r.targetId.slice(0, 8)}</Table.Td>
                <Table.Td><Button size="compact-xs" variant="default" onClick={() => setOpen(open === r.id ? null : r.id)} aria-expanded={open === r.id}>{t('audit.details')}</Button></Table.Td>
              </Table.Tr>
              {open === r.id && (
                <Table.Tr>
                  <Table.Td colSpan={6}>
                    <Text size="xs">{t('audit.before')}</Text>
                    <Code block>{JSON.stringify(r.before, null, 2)}</Code>
                    <Text size="xs">{t('audit.after')}</Text>
                    <Code block>{JSON.stringify(r.after, null, 2)}</Code>
                    <Text size="xs">hash {r.hash}{r.approvalId ? ` · approval ${r.approvalId}` : ''}</Text>
                  </Table.Td>
                </Table.Tr>
              )}
            </Fragment>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        {after && <Button variant="default" onClick={() => setAfter(null)}>{t('common.first')}</Button>}
        {data?.auditLog.pageInfo.hasNextPage && <Button variant="default" onClick={() => setAfter(data.auditLog.pageInfo.endCursor ?? null)}>{t('common.next')}</Button>}
      </Group>
    </Stack>
  );
}
