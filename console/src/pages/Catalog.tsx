// The catalog: plans with every price version (from when, until when, and whether a change
// reaches existing contracts immediately or next term) and the options. Reading it is for
// everyone who sells or supports; those allowed to change it get the forms of CatalogEdit.
import { Badge, Card, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { formats, formatMoney, formatTime } from '../i18n';
import { useCan, useOwn } from '../permissions';
import { ApiError } from '../ui/errors';
import { NewOption, NewPlan, NewPrice, PlanStatusActions } from './CatalogEdit';

const CatalogQuery = graphql(`
  query Catalog {
    plans { id tenantId code name status version prices { id currency monthlyFee dataMb voiceMin sms validFrom validTo applies } }
    options { id code name currency monthlyFee status }
  }
`);

export default function CatalogPage() {
  const { t } = useTranslation();
  const [{ data, error }, reload] = useQuery({ query: CatalogQuery });
  const can = useCan();
  const own = useOwn();
  const refresh = () => reload({ requestPolicy: 'network-only' });
  const currency = formats.currency;
  return (
    <Stack>
      <Title order={2}>{t('catalog.title')}</Title>
      <ApiError error={error} />
      {can('catalog:create') && <NewPlan options={data?.options ?? []} currency={currency} onDone={refresh} />}
      {(data?.plans ?? []).map((p) => (
        <Card withBorder key={p.id} data-testid="plan">
          <Title order={3} size="h4">{p.name} <Text span c="dimmed" size="sm">{p.code}</Text> <Badge variant="outline">{p.status}</Badge></Title>
          <Table mt="xs">
            <Table.Thead>
              <Table.Tr><Table.Th>{t('catalog.fee')}</Table.Th><Table.Th>{t('catalog.allowance')}</Table.Th><Table.Th>{t('catalog.from')}</Table.Th><Table.Th>{t('catalog.to')}</Table.Th><Table.Th>{t('catalog.applies')}</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {p.prices.map((v) => (
                <Table.Tr key={v.id}>
                  <Table.Td>{formatMoney(v.monthlyFee, v.currency)}</Table.Td>
                  <Table.Td>{v.dataMb} MB · {v.voiceMin} min · {v.sms} SMS</Table.Td>
                  <Table.Td>{formatTime(v.validFrom)}</Table.Td><Table.Td>{formatTime(v.validTo)}</Table.Td>
                  <Table.Td>{t(`catalog.when.${v.applies}`, { defaultValue: v.applies })}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {can('catalog:update') && own(p.tenantId) && p.status !== 'RETIRED' && <NewPrice planId={p.id} currency={currency} onDone={refresh} />}
          {can('catalog:update') && own(p.tenantId) && <PlanStatusActions plan={p} onDone={refresh} />}
        </Card>
      ))}
      <Card withBorder>
        <Title order={3} size="h4">{t('catalog.options')}</Title>
        <Table mt="xs">
          <Table.Tbody>
            {(data?.options ?? []).map((o) => (
              <Table.Tr key={o.id}>
                <Table.Td>{o.name}</Table.Td><Table.Td>{o.code}</Table.Td><Table.Td>{formatMoney(o.monthlyFee, o.currency)}</Table.Td><Table.Td>{o.status}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {can('catalog:create') && <NewOption currency={currency} onDone={refresh} />}
      </Card>
    </Stack>
  );
}
