// Re-rating a line's month after a price correction, for billing staff: first the quote —
// what the month's usage costs now and would cost against the catalog as it is, with the
// records whose charge changes — and only then, confirmed, the re-rating itself. If the
// usage or prices moved in between, the API refuses and the quote is asked for again.
import { Alert, Button, Card, Group, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClient, useMutation } from 'urql';
import { graphql } from '../gql';
import type { RerateQuoteQuery } from '../gql/graphql';
import { formatMoney, formatTime } from '../i18n';
import { ApiError } from '../ui/errors';

const QuoteQuery = graphql(`
  query RerateQuote($id: ID!) {
    usageRerateQuote(lineId: $id) {
      period currency records before after changed
      changes { recordId occurredAt meter before after }
    }
  }
`);

const RerateMutation = graphql(`
  mutation UsageRerate($id: ID!, $after: Int!) {
    usageRerate(input: { lineId: $id, expectedAfter: $after }) { rerating { before after changed applied } }
  }
`);

type Quote = RerateQuoteQuery['usageRerateQuote'];

export function Rerate({ lineId, onDone }: { lineId: string; onDone: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoting, setQuoting] = useState(false);
  const [quoteError, setQuoteError] = useState<Parameters<typeof ApiError>[0]['error']>(null);
  const [done, setDone] = useState<string | null>(null);
  const [applied, apply] = useMutation(RerateMutation);
  const ask = async () => {
    setQuoting(true);
    setDone(null);
    const r = await client.query(QuoteQuery, { id: lineId }, { requestPolicy: 'network-only' }).toPromise();
    setQuoting(false);
    setQuoteError(r.error ?? null);
    setQuote(r.data?.usageRerateQuote ?? null);
  };
  const money = (n: number) => formatMoney(n, quote?.currency);
  return (
    <Card withBorder data-testid="rerate">
      <Title order={3} size="h4" mb="sm">{t('rerate.title')}</Title>
      <Text size="sm" mb="sm">{t('rerate.effect')}</Text>
      <ApiError error={quoteError} />
      <ApiError error={applied.error} />
      {done && <Alert color="blue" role="status" mb="sm">{done}</Alert>}
      {!quote ? (
        <Button variant="default" loading={quoting} onClick={() => void ask()}>{t('rerate.quote')}</Button>
      ) : (
        <>
          <Text data-testid="rerate-summary">
            {t('rerate.summary', { records: quote.records, period: quote.period, before: money(quote.before), after: money(quote.after), changed: quote.changed })}
          </Text>
          {quote.changes.length > 0 && (
            <Table mt="xs">
              <Table.Thead>
                <Table.Tr><Table.Th>{t('usage.when')}</Table.Th><Table.Th>{t('usage.record')}</Table.Th><Table.Th>{t('rerate.meter')}</Table.Th><Table.Th>{t('rerate.before')}</Table.Th><Table.Th>{t('rerate.after')}</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {quote.changes.map((c) => (
                  <Table.Tr key={c.recordId}>
                    <Table.Td>{formatTime(c.occurredAt)}</Table.Td><Table.Td>{c.recordId}</Table.Td><Table.Td>{c.meter}</Table.Td>
                    <Table.Td>{money(c.before)}</Table.Td><Table.Td>{money(c.after)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Group mt="sm">
            <Button
              disabled={quote.changed === 0}
              loading={applied.fetching}
              onClick={async () => {
                const r = await apply({ id: lineId, after: quote.after });
                if (r.data) {
                  const x = r.data.usageRerate.rerating;
                  setDone(t('rerate.done', { before: money(x.before), after: money(x.after), changed: x.changed }));
                  setQuote(null);
                  onDone();
                } else {
                  setQuote(null);
                }
              }}
            >
              {t('rerate.apply')}
            </Button>
            <Button variant="default" onClick={() => setQuote(null)}>{t('rerate.cancel')}</Button>
          </Group>
        </>
      )}
    </Card>
  );
}
