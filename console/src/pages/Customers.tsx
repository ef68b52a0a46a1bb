// Customers: the list, and a new customer made hard to get wrong — before creating, the
// customers already on file with the same name, e-mail or phone are shown and must be
// acknowledged (a duplicate is the back office's commonest mistake). Field errors name the
// field and why.
import { Button, Card, Checkbox, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { type CombinedError, useClient, useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';

const CustomersQuery = graphql(`
  query Customers($after: String) {
    customers(first: 50, after: $after) {
      nodes { id kind name email phone kycStatus }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const LookalikesQuery = graphql(`
  query CustomerLookalikes($q: String!) {
    search(query: $q, first: 10) { kind id label status }
  }
`);

const CreateMutation = graphql(`
  mutation CustomerCreate($input: CustomerCreateInput!) {
    customerCreate(input: $input) { customer { id name } }
  }
`);

interface Lookalike {
  id: string;
  label: string;
}

export default function CustomersPage() {
  const { t } = useTranslation();
  const can = useCan();
  const navigate = useNavigate();
  const client = useClient();
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }] = useQuery({ query: CustomersQuery, variables: { after } });
  const [created, create] = useMutation(CreateMutation);
  const [form, setForm] = useState({ kind: 'individual', name: '', email: '', phone: '' });
  const [lookalikes, setLookalikes] = useState<Lookalike[] | null>(null);
  const [acknowledged, setAcknowledged] = useState(false);
  // A search that failed is not "no duplicates": the check says so and may be run again.
  const [checkError, setCheckError] = useState<CombinedError | null>(null);
  // The form as it is now, for a check that finishes after the form changed.
  const current = useRef(form);
  current.current = form;
  const set = (k: keyof typeof form) => (v: string) => {
    setForm({ ...form, [k]: v });
    setLookalikes(null);
    setAcknowledged(false);
    setCheckError(null);
  };
  const check = async () => {
    const found = new Map<string, Lookalike>();
    const asked = form;
    setCheckError(null);
    for (const q of [form.name, form.email, form.phone].map((x) => x.trim()).filter((x) => x.length >= 3)) {
      const r = await client.query(LookalikesQuery, { q }, { requestPolicy: 'network-only' }).toPromise();
      if (r.error) {
        setCheckError(r.error);
        setLookalikes(null);
        return;
      }
      for (const h of r.data?.search ?? []) if (h.kind === 'customer') found.set(h.id, { id: h.id, label: h.label });
    }
    // Edited meanwhile: these results are not about what is in the form now.
    if (current.current !== asked) return;
    setLookalikes([...found.values()]);
  };
  const submit = async () => {
    const r = await create({
      input: { kind: form.kind, name: form.name, email: form.email || null, phone: form.phone || null },
    });
    const c = r.data?.customerCreate.customer;
    if (c) navigate(`/customers/${c.id}`);
  };
  const rows = data?.customers.nodes ?? [];
  return (
    <Stack>
      <Title order={2}>{t('customers.title')}</Title>
      <ApiError error={error} />
      {can('customer:create') && (
        <Card withBorder>
          <Title order={3} size="h4" mb="sm">{t('customers.new')}</Title>
          <Group align="end" wrap="wrap">
            <Select label={t('customers.kind')} data={[{ value: 'individual', label: t('customers.individual') }, { value: 'business', label: t('customers.business') }]} value={form.kind} onChange={(v) => set('kind')(v ?? 'individual')} allowDeselect={false} />
            <TextInput label={t('customers.name')} value={form.name} onChange={(e) => set('name')(e.currentTarget.value)} required />
            <TextInput label={t('customers.email')} value={form.email} onChange={(e) => set('email')(e.currentTarget.value)} />
            <TextInput label={t('customers.phone')} value={form.phone} onChange={(e) => set('phone')(e.currentTarget.value)} />
            {lookalikes === null ? (
              <Button onClick={() => void check()} disabled={!form.name.trim()}>{t('customers.check')}</Button>
            ) : (
              <Button onClick={() => void submit()} loading={created.fetching} disabled={lookalikes.length > 0 && !acknowledged}>{t('customers.create')}</Button>
            )}
          </Group>
          {lookalikes && lookalikes.length > 0 && (
            <Card withBorder mt="sm" data-testid="lookalikes" style={{ borderColor: "var(--mantine-color-red-9)", borderWidth: 2 }}>
              <Text fw={700} c="red.9" role="alert">{t('customers.lookalikes')}</Text>
              {lookalikes.map((c) => (
                <div key={c.id}><Link to={`/customers/${c.id}`}>{c.label}</Link></div>
              ))}
              <Checkbox mt="xs" label={t('customers.notDuplicate')} checked={acknowledged} onChange={(e) => setAcknowledged(e.currentTarget.checked)} />
            </Card>
          )}
          {lookalikes && lookalikes.length === 0 && <Text size="sm" mt="xs">{t('customers.noLookalikes')}</Text>}
          {checkError && <Text size="sm" mt="xs" c="red.9">{t('customers.checkFailed')}</Text>}
          <ApiError error={checkError ?? created.error} />
        </Card>
      )}
      <Table striped data-testid="customers">
        <Table.Thead>
          <Table.Tr><Table.Th>{t('customers.name')}</Table.Th><Table.Th>{t('customers.kind')}</Table.Th><Table.Th>{t('customers.email')}</Table.Th><Table.Th>{t('customers.phone')}</Table.Th><Table.Th>KYC</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td><Link to={`/customers/${c.id}`}>{c.name}</Link></Table.Td><Table.Td>{c.kind}</Table.Td>
              <Table.Td>{c.email ?? '—'}</Table.Td><Table.Td>{c.phone ?? '—'}</Table.Td><Table.Td>{c.kycStatus}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        {after && <Button variant="default" onClick={() => setAfter(null)}>{t('common.first')}</Button>}
        {data?.customers.pageInfo.hasNextPage && <Button variant="default" onClick={() => setAfter(data.customers.pageInfo.endCursor ?? null)}>{t('common.next')}</Button>}
      </Group>
    </Stack>
  );
}
