// Notifications: the tenant's templates with a live preview in Japanese or English rendered
// by the hub's own renderer against the topic's example (an error names the line), saved
// only when it renders; webhook endpoints (the signing secret shown once) with their recent
// deliveries, each attempt, and replay of a failed one; rules and endpoint actions are in
// NotificationRules.
import { Button, Card, Code, Group, Select, SegmentedControl, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';
import { Endpoints, Rules } from './NotificationRules';

const TopicsQuery = graphql(`
  query NotificationSetup {
    notificationTopics { topic description critical defaultSubjectJa defaultBodyJa defaultSubjectEn defaultBodyEn }
    webhookEndpoints { id url topics status disabledReason previousSecretUntil version createdAt }
    notificationRules { id topic audience role channel fallbackChannel }
    roles { name platformOnly }
    deliveries(channel: "webhook", first: 20) { id topic status attemptCount lastError createdAt endpointId attempts { n at outcome statusCode durationMs } }
  }
`);

const PreviewMutation = graphql(`
  mutation TemplatePreview($input: NotificationTemplatePreviewInput!) {
    notificationTemplatePreview(input: $input) { subject body }
  }
`);

const SaveMutation = graphql(`
  mutation TemplateSet($input: NotificationTemplateInput!) {
    notificationTemplateSet(input: $input) { template { topic locale version } }
  }
`);

const EndpointMutation = graphql(`
  mutation EndpointCreate($url: String!, $topics: [String!]!) {
    webhookEndpointCreate(input: { url: $url, topics: $topics }) { secret endpoint { id } }
  }
`);

const ReplayMutation = graphql(`
  mutation DeliveryReplay($id: ID!) {
    deliveryReplay(input: { id: $id }) { delivery { id status } }
  }
`);

export default function NotificationsPage() {
  const { t } = useTranslation();
  const can = useCan();
  const [{ data, error }, reload] = useQuery({ query: TopicsQuery });
  const [topic, setTopic] = useState<string | null>(null);
  const [locale, setLocale] = useState('ja');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [{ data: preview, error: previewError }, render] = useMutation(PreviewMutation);
  const [saved, save] = useMutation(SaveMutation);
  const [made, make] = useMutation(EndpointMutation);
  const [replayed, replay] = useMutation(ReplayMutation);
  const [ep, setEp] = useState({ url: '', topics: '*' });
  const [secret, setSecret] = useState<string | null>(null);
  const [savedMsg, setSavedMsg] = useState<string | null>(null);
  const topics = data?.notificationTopics ?? [];
  useEffect(() => {
    // A topic or language chosen: start from the shipped template.
    const tp = topics.find((x) => x.topic === topic);
    if (!tp) return;
    setSubject(locale === 'ja' ? tp.defaultSubjectJa : tp.defaultSubjectEn);
    setBody(locale === 'ja' ? tp.defaultBodyJa : tp.defaultBodyEn);
  }, [topic, locale, data]);
  const input = { topic: topic ?? '', channel: 'email', locale, subject, body };
  useEffect(() => {
    // Rendered by the server as the hub would (nothing saved), 300 ms after the last key.
    if (!topic || !subject) return;
    const h = window.setTimeout(() => void render({ input: { template: { topic, channel: 'email', locale, subject, body } } }), 300);
    return () => window.clearTimeout(h);
  }, [topic, locale, subject, body]);
  return (
    <Stack>
      <Title order={2}>{t('notifications.title')}</Title>
      <ApiError error={error} />
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">{t('notifications.templates')}</Title>
        <Group align="end">
          <Select label={t('notifications.topic')} data={topics.map((x) => x.topic)} value={topic} onChange={setTopic} searchable w={320} />
          <SegmentedControl aria-label={t('app.language')} value={locale} onChange={setLocale} data={[{ value: 'ja', label: '日本語' }, { value: 'en', label: 'English' }]} />
        </Group>
        {topic && (
          <SimpleGrid cols={{ base: 1, md: 2 }} mt="sm">
            <Stack gap="xs">
              <TextInput label={t('notifications.subject')} value={subject} onChange={(e) => setSubject(e.currentTarget.value)} />
              <Textarea label={t('notifications.body')} value={body} onChange={(e) => setBody(e.currentTarget.value)} autosize minRows={6} styles={{ input: { fontFamily: 'monospace' } }} />
              {can('notification:update') && (
                <Group>
                  <Button disabled={!!previewError} loading={saved.fetching} onClick={async () => {
                    const r = await save({ input });
                    if (r.data) setSavedMsg(t('notifications.saved', { version: r.data.notificationTemplateSet.template.version }));
                  }}>{t('notifications.save')}</Button>
                  {savedMsg && <Text role="status" size="sm">{savedMsg}</Text>}
                </Group>
              )}
              <ApiError error={saved.error} />
            </Stack>
            <Card withBorder data-testid="template-preview">
              <Text size="xs" c="dimmed">{t('notifications.preview')}</Text>
              {previewError ? <ApiError error={previewError} /> : (
                <>
                  <Text fw={700}>{preview?.notificationTemplatePreview.subject}</Text>
                  <Text size="sm" style={{ whiteSpace: 'pre-line' }}>{preview?.notificationTemplatePreview.body}</Text>
                </>
              )}
            </Card>
          </SimpleGrid>
        )}
      </Card>
      <Card withBorder>
        <Rules rules={data?.notificationRules ?? []} topics={topics.map((x) => x.topic)} roles={(data?.roles ?? []).filter((x) => !x.platformOnly).map((x) => x.name)} onChange={() => reload({ requestPolicy: 'network-only' })} />
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">{t('notifications.webhooks')}</Title>
        {can('webhook:create') && (
          <Group align="end" mb="sm">
            <TextInput label={t('notifications.url')} value={ep.url} onChange={(e) => setEp({ ...ep, url: e.currentTarget.value })} w={360} />
            <TextInput label={t('notifications.topics')} value={ep.topics} onChange={(e) => setEp({ ...ep, topics: e.currentTarget.value })} />
            <Button loading={made.fetching} onClick={async () => {
              const r = await make({ url: ep.url, topics: ep.topics.split(',').map((x) => x.trim()).filter(Boolean) });
              if (r.data) { setSecret(r.data.webhookEndpointCreate.secret); setEp({ url: '', topics: '*' }); reload({ requestPolicy: 'network-only' }); }
            }}>{t('notifications.addEndpoint')}</Button>
          </Group>
        )}
        {secret && <Text role="status" data-testid="endpoint-secret">{t('access.secretOnce')} <Code>{secret}</Code></Text>}
        <ApiError error={made.error ?? replayed.error} />
        <Endpoints endpoints={data?.webhookEndpoints ?? []} onChange={() => reload({ requestPolicy: 'network-only' })} />
        <Title order={4} size="h5" mt="md">{t('notifications.deliveries')}</Title>
        <Table data-testid="deliveries">
          <Table.Tbody>
            {(data?.deliveries ?? []).map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>{formatTime(d.createdAt)}</Table.Td><Table.Td>{d.topic}</Table.Td><Table.Td>{d.status}</Table.Td>
                <Table.Td>{d.attempts.map((a) => `#${a.n} ${a.outcome}${a.statusCode ? ` ${a.statusCode}` : ''} ${a.durationMs} ms`).join(' · ')}</Table.Td>
                <Table.Td>{d.status === 'failed' && can('notification:replay') && (
                  <Button size="compact-sm" variant="default" onClick={async () => { const r = await replay({ id: d.id }); if (r.data) reload({ requestPolicy: 'network-only' }); }}>{t('notifications.replay')}</Button>
                )}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
    </Stack>
  );
}
