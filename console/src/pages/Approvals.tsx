// Approvals waiting for a decision: what, by whom, and approve / reject (a note is required
// to reject). The API refuses a decision on one's own request; the page says so first.
import { Alert, Button, Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useViewer } from '../permissions';

const PendingQuery = graphql(`
  query PendingApprovals {
    approvalRequests(status: PENDING, first: 50) {
      edges { node { id action summary requestedBy createdAt expiresAt targetType targetId } }
    }
  }
`);

const ApproveMutation = graphql(`
  mutation ApprovalApprove($id: ID!) {
    approvalApprove(input: { id: $id }) { approvalRequest { id status failure } }
  }
`);

const RejectMutation = graphql(`
  mutation ApprovalReject($id: ID!, $note: String!) {
    approvalReject(input: { id: $id, note: $note }) { approvalRequest { id status } }
  }
`);

export default function ApprovalsPage() {
  const { t } = useTranslation();
  const viewer = useViewer()?.actorLabel;
  const [{ data, error }, reload] = useQuery({ query: PendingQuery });
  const [, approve] = useMutation(ApproveMutation);
  const [, reject] = useMutation(RejectMutation);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<string | null>(null);
  const items = data?.approvalRequests.edges.map((e) => e.node) ?? [];
  const decided = (status: string | undefined, message?: string) => {
    setOutcome(message ?? t('approvals.done', { status }));
    reload({ requestPolicy: 'network-only' });
  };
  return (
    <Stack>
      <Title order={2}>{t('approvals.title')}</Title>
      {error && <Alert color="red">{t('errors.generic', { message: error.message })}</Alert>}
      {outcome && <Alert color="blue" role="status">{outcome}</Alert>}
      {items.length === 0 && <Text>{t('approvals.empty')}</Text>}
      {items.map((a) => {
        const own = viewer !== undefined && a.requestedBy === viewer;
        return (
          <Card withBorder key={a.id} data-testid="approval">
            <Group justify="space-between" align="start">
              <Stack gap={2}>
                <Text fw={600}>{a.summary}</Text>
                <Text size="sm">{t('approvals.action')}: {a.action}</Text>
                <Text size="sm">{t('approvals.requestedBy')}: {a.requestedBy} · {formatTime(a.createdAt)}</Text>
              </Stack>
              {own ? (
                <Text size="sm" c="dimmed">{t('approvals.own')}</Text>
              ) : (
                <Group align="end">
                  <TextInput label={t('approvals.note')} value={notes[a.id] ?? ''} onChange={(e) => setNotes({ ...notes, [a.id]: e.currentTarget.value })} />
                  <Button onClick={async () => {
                    const r = await approve({ id: a.id });
                    decided(r.data?.approvalApprove.approvalRequest.status, r.error?.message);
                  }}>{t('approvals.approve')}</Button>
                  <Button color="red.9" variant="outline" disabled={!(notes[a.id] ?? '').trim()} onClick={async () => {
                    const r = await reject({ id: a.id, note: notes[a.id] ?? '' });
                    decided(r.data?.approvalReject.approvalRequest.status, r.error?.message);
                  }}>{t('approvals.reject')}</Button>
                </Group>
              )}
            </Group>
          </Card>
        );
      })}
    </Stack>
  );
}
