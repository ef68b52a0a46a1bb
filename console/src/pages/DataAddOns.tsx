// Data add-ons for a line, for its customer (self-service) and for staff who take orders:
// what is on sale (options whose rating adds data), and the purchase — confirmed first with
// its price (bought only at that price), then added to this month's allowance at once; a line slowed or stopped because
// its data ran out gets its speed back. `onBought` lets the page refresh the allowance.
import { Alert, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatMoney } from '../i18n';
import { ApiError } from '../ui/errors';

const OffersQuery = graphql(`
  query DataAddOns($id: ID!) {
    dataAddOns(lineId: $id) { id code name monthlyFee currency rating { addOnMb } }
  }
`);

const BuyMutation = graphql(`
  mutation DataAddOnBuy($line: ID!, $option: ID!, $fee: Int!) {
    dataAddOnBuy(input: { lineId: $line, optionId: $option, expectedFee: $fee }) { order { id kind status } addedBytes linesFreed }
  }
`);

export function DataAddOns({ lineId, onBought }: { lineId: string; onBought: () => void }) {
  const { t } = useTranslation();
  const [{ data, error }] = useQuery({ query: OffersQuery, variables: { id: lineId } });
  const [bought, buy] = useMutation(BuyMutation);
  const [picked, setPicked] = useState<string | null>(null);
  const offers = data?.dataAddOns ?? [];
  if (!error && offers.length === 0) return null;
  const chosen = offers.find((o) => o.id === picked);
  const done = bought.data?.dataAddOnBuy;
  return (
    <Card withBorder data-testid="data-add-ons">
      <Title order={3} size="h4" mb="sm">{t('addOn.title')}</Title>
      <ApiError error={error ?? bought.error} />
      <Stack gap="xs">
        {offers.map((o) => (
          <Group key={o.id} justify="space-between">
            <Text>{t('addOn.offer', { name: o.name, mb: o.rating.addOnMb, price: formatMoney(o.monthlyFee, o.currency) })}</Text>
            <Button variant="light" onClick={() => setPicked(o.id)} disabled={bought.fetching}>{t('addOn.buy', { name: o.name })}</Button>
          </Group>
        ))}
        {chosen && (
          <Alert color="blue" title={t('addOn.confirmTitle')}>
            <Text size="sm">{t('addOn.confirm', { name: chosen.name, mb: chosen.rating.addOnMb, price: formatMoney(chosen.monthlyFee, chosen.currency) })}</Text>
            <Group mt="sm">
              <Button loading={bought.fetching} onClick={async () => {
                const r = await buy({ line: lineId, option: chosen.id, fee: chosen.monthlyFee });
                if (r.data) {
                  setPicked(null);
                  onBought();
                }
              }}>{t('addOn.confirmButton', { price: formatMoney(chosen.monthlyFee, chosen.currency) })}</Button>
              <Button variant="default" onClick={() => setPicked(null)}>{t('common.cancel')}</Button>
            </Group>
          </Alert>
        )}
        {done && (
          <Alert color="teal" role="status">
            {t('addOn.done', { mb: Math.round(done.addedBytes / 1_000_000) })}
            {done.linesFreed > 0 ? ` ${t('addOn.freed')}` : ''}
          </Alert>
        )}
      </Stack>
    </Card>
  );
}
