// One customer: who they are, contacts and billing accounts (kept in CustomerContacts), contracts and their lines; and KYC
// as the back office does it — documents received (submitted), then verified by a request a
// second person approves, or rejected with the reason. Each action says what it will do.
import { Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { useCan, useOwn } from '../permissions';
import { ApiError } from '../ui/errors';
import { BillingAccounts, Contacts } from './CustomerContacts';

const CustomerQuery = graphql(`
  query CustomerPage($id: ID!, $contracts: Boolean!) {
    customer(id: $id) {
      id tenantId kind name email phone locale kycStatus kycNote version
      contacts { id name email phone role }
      billingAccounts { id name currency }
      contracts @include(if: $contracts) { id status startedAt lines { id msisdn status } }
    }
  }
`);

const SubmitMutation = graphql(`
  mutation KycSubmit($id: ID!, $note: String) {
    kycSubmit(input: { customerId: $id, note: $note }) { customer { id kycStatus } }
  }
`);

const VerifyMutation = graphql(`
  mutation KycVerify($id: ID!, $note: String) {
    kycVerify(input: { customerId: $id, note: $note }) { approvalRequest { id status } }
  }
`);

const RejectMutation = graphql(`
  mutation KycReject($id: ID!, $note: String) {
    kycReject(input: { customerId: $id, note: $note }) { customer { id kycStatus } }
  }
`);

export default function CustomerPage() {
  const { t } = useTranslation();
  const can = useCan();
  const own = useOwn();
  const { id = '' } = useParams();
  const [{ data, error }, reload] = useQuery({ query: CustomerQuery, variables: { id, contracts: can('contract:read') } });
  const [submitted, submit] = useMutation(SubmitMutation);
  const [verified, verify] = useMutation(VerifyMutation);
  const [rejected, reject] = useMutation(RejectMutation);
  const [note, setNote] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const c = data?.customer;
  if (error) return <ApiError error={error} />;
  if (!c) return null;
  const after = (message: string) => {
    setDone(message);
    setNote('');
    reload({ requestPolicy: 'network-only' });
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{c.name}</Title>
        <Badge size="lg" color={c.kycStatus === 'VERIFIED' ? 'teal.9' : c.kycStatus === 'REJECTED' ? 'red.9' : 'gray.8'} data-testid="kyc-status">
          KYC {c.kycStatus}
        </Badge>
      </Group>
      <Card withBorder>
        <Text size="xs" c="dimmed">{t('customers.kind')}</Text>
        <Text fw={600}>{c.kind}</Text>
        <Text size="sm">{c.email ?? '—'} · {c.phone ?? '—'}</Text>
      </Card>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Contacts key={`contacts-${c.id}`} customerId={c.id} contacts={c.contacts} canEdit={can('customer:update') && own(c.tenantId)} onChange={() => reload({ requestPolicy: 'network-only' })} />
        <BillingAccounts key={`accounts-${c.id}`} customerId={c.id} accounts={c.billingAccounts} canEdit={can('customer:update') && own(c.tenantId)} onChange={() => reload({ requestPolicy: 'network-only' })} />
      </SimpleGrid>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('customer.kyc')}</Title>
        {c.kycNote && <Text size="sm" mb="xs">{t('customer.kycNote')}: {c.kycNote}</Text>}
        {done && <Text role="status" mb="xs" c="blue.9">{done}</Text>}
        <ApiError error={submitted.error ?? verified.error ?? rejected.error} />
        {can('customer:update') ? (
          <Stack gap="xs">
            <Text size="sm">{t(`customer.kycNext.${c.kycStatus}`)}</Text>
            <Group align="end">
              <TextInput label={t('customer.note')} value={note} onChange={(e) => setNote(e.currentTarget.value)} style={{ flex: 1 }} />
              {(c.kycStatus === 'NOT_STARTED' || c.kycStatus === 'REJECTED') && (
                <Button loading={submitted.fetching} onClick={async () => {
                  const r = await submit({ id, note: note || null });
                  if (r.data) after(t('customer.submitted'));
                }}>{t('customer.submit')}</Button>
              )}
              {c.kycStatus === 'SUBMITTED' && (
                <>
                  <Button loading={verified.fetching} onClick={async () => {
                    const r = await verify({ id, note: note || null });
                    if (r.data) after(t('customer.verifyRequested', { id: r.data.kycVerify.approvalRequest.id }));
                  }}>{t('customer.verify')}</Button>
                  <Button color="red.9" variant="outline" disabled={!note.trim()} loading={rejected.fetching} onClick={async () => {
                    const r = await reject({ id, note });
                    if (r.data) after(t('customer.rejected'));
                  }}>{t('customer.reject')}</Button>
                </>
              )}
            </Group>
          </Stack>
        ) : (
          <Text size="sm">{t('customer.kycNotYours')}</Text>
        )}
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">{t('customer.contracts')}</Title>
        <Table>
          <Table.Thead>
            <Table.Tr><Table.Th>{t('line.contract')}</Table.Th><Table.Th>{t('line.stepStatus')}</Table.Th><Table.Th>{t('customer.lines')}</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(c.contracts ?? []).map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td>{k.id.slice(0, 8)}</Table.Td><Table.Td>{k.status}</Table.Td>
                <Table.Td>{k.lines.map((l) => <div key={l.id}><Link to={`/lines/${l.id}`}>{l.msisdn}</Link> · {l.status}</div>)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
    </Stack>
  );
}
