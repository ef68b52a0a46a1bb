// The carrier's usage feed as the worker reads it: how far (the carrier's position), how
// many records it received, when it last read, and the carrier's last failure, if the last
// reading failed (records are not lost: the next reading starts where the last one ended).
import { Alert, Card, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';

const FeedQuery = graphql(`
  query CarrierUsageFeed {
    carrierUsageFeed { position records pulledAt lastError failedAt }
  }
`);

export function CarrierFeed() {
  const { t } = useTranslation();
  const [{ data }, again] = useQuery({ query: FeedQuery, requestPolicy: 'cache-and-network' });
  useEffect(() => {
    const timer = setInterval(() => again({ requestPolicy: 'network-only' }), 30_000);
    return () => clearInterval(timer);
  }, [again]);
  const f = data?.carrierUsageFeed;
  return (
    <Card withBorder data-testid="usage-feed">
      <Title order={3} size="h4" mb="sm">{t('carrier.feed.title')}</Title>
      <Stack gap="xs">
        <Text size="sm">{t('carrier.feed.records', { count: f?.records ?? 0 })}</Text>
        <Text size="sm">{f?.pulledAt ? t('carrier.feed.pulled', { at: formatTime(f.pulledAt), position: f.position ?? '—' }) : t('carrier.feed.never')}</Text>
        {f?.lastError && f.failedAt && (
          <Alert color="orange" role="status">{t('carrier.feed.failed', { at: formatTime(f.failedAt), error: f.lastError })}</Alert>
        )}
      </Stack>
    </Card>
  );
}
