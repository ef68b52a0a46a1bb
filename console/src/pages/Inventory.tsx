// Stock: numbers (with quarantine and porting state), SIMs, eSIM profiles and devices, each
// with its state; each kind is added in batches (numbers here, the others in InventoryAdd) —
// one per line, validated as a whole, with the line that is wrong named. Identifiers are masked as the API masks them for the role.
import { Badge, Button, Group, Stack, Table, Tabs, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';
import { AddDevices, AddEsims, AddSims } from './InventoryAdd';

const StockQuery = graphql(`
  query Stock {
    numbers(first: 100) { msisdn status quarantineUntil portedIn }
    sims(first: 100) { nodes { id iccid imsi status } }
    esimProfiles(first: 100) { nodes { id iccid status eid failure } }
    devices(first: 100) { nodes { id imei model status } }
  }
`);

const NumbersAddMutation = graphql(`
  mutation NumbersAdd($items: [String!]!) {
    numbersAdd(input: { items: $items }) { added }
  }
`);

export default function InventoryPage() {
  const { t } = useTranslation();
  const can = useCan();
  const [{ data, error }, reload] = useQuery({ query: StockQuery });
  const [added, add] = useMutation(NumbersAddMutation);
  const [batch, setBatch] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const items = batch.split('\n').map((l) => l.trim()).filter(Boolean);
  const again = () => reload({ requestPolicy: 'network-only' });
  return (
    <Stack>
      <Title order={2}>{t('inventory.title')}</Title>
      <ApiError error={error} />
      <Tabs defaultValue="numbers" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="numbers">{t('inventory.numbers')} ({data?.numbers.length ?? 0})</Tabs.Tab>
          <Tabs.Tab value="sims">{t('inventory.sims')} ({data?.sims.nodes.length ?? 0})</Tabs.Tab>
          <Tabs.Tab value="esims">{t('inventory.esims')} ({data?.esimProfiles.nodes.length ?? 0})</Tabs.Tab>
          <Tabs.Tab value="devices">{t('inventory.devices')} ({data?.devices.nodes.length ?? 0})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="numbers" pt="sm">
          {can('inventory:create') && (
            <Stack gap="xs" mb="md">
              <Textarea label={t('inventory.addNumbers')} description={t('inventory.addNumbersHint')} value={batch} onChange={(e) => { setBatch(e.currentTarget.value); setDone(null); }} autosize minRows={2} maxRows={8} />
              <Group>
                <Button disabled={items.length === 0} loading={added.fetching} onClick={async () => {
                  const r = await add({ items });
                  if (r.data) {
                    setDone(t('inventory.added', { count: r.data.numbersAdd.added }));
                    setBatch('');
                    reload({ requestPolicy: 'network-only' });
                  }
                }}>{t('inventory.addCount', { count: items.length })}</Button>
                {done && <Text role="status" size="sm">{done}</Text>}
              </Group>
              <ApiError error={added.error} />
            </Stack>
          )}
          <Table striped data-testid="numbers">
            <Table.Tbody>
              {(data?.numbers ?? []).map((n) => (
                <Table.Tr key={n.msisdn}>
                  <Table.Td>{n.msisdn}</Table.Td><Table.Td><Badge variant="outline" color="dark">{n.status}</Badge></Table.Td>
                  <Table.Td>{n.quarantineUntil ? t('inventory.quarantine', { at: formatTime(n.quarantineUntil) }) : ''}{n.portedIn ? t('inventory.portedIn') : ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="sims" pt="sm">
          {can('inventory:create') && <AddSims onDone={again} />}
          <Table striped data-testid="sims">
            <Table.Thead><Table.Tr><Table.Th>ICCID</Table.Th><Table.Th>IMSI</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {(data?.sims.nodes ?? []).map((s) => (
                <Table.Tr key={s.id}><Table.Td>{s.iccid}</Table.Td><Table.Td>{s.imsi}</Table.Td><Table.Td>{s.status}</Table.Td></Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="esims" pt="sm">
          {can('inventory:create') && <AddEsims onDone={again} />}
          <Table striped data-testid="esims">
            <Table.Thead><Table.Tr><Table.Th>ICCID</Table.Th><Table.Th>EID</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th><Table.Th>{t('line.reason')}</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {(data?.esimProfiles.nodes ?? []).map((e) => (
                <Table.Tr key={e.id}><Table.Td>{e.iccid}</Table.Td><Table.Td>{e.eid ?? '—'}</Table.Td><Table.Td>{e.status}</Table.Td><Table.Td>{e.failure ?? ''}</Table.Td></Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="devices" pt="sm">
          {can('inventory:create') && <AddDevices onDone={again} />}
          <Table striped data-testid="devices">
            <Table.Thead><Table.Tr><Table.Th>IMEI</Table.Th><Table.Th>{t('inventory.model')}</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {(data?.devices.nodes ?? []).map((d) => (
                <Table.Tr key={d.id}><Table.Td>{d.imei}</Table.Td><Table.Td>{d.model}</Table.Td><Table.Td>{d.status}</Table.Td></Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
