// The tenant tree as far as the caller sees it: its own tenant and descendants with kind and
// state; an MVNO creates its resellers (the platform operator its MVNOs) with a first admin.
import { Badge, Button, Card, Group, PasswordInput, Stack, Table, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';

const TenantsQuery = graphql(`
  query Tenants {
    tenants(first: 100) { nodes { id parentId slug name kind status createdAt } }
  }
`);

const TenantCreateMutation = graphql(`
  mutation TenantCreate($slug: String!, $name: String!, $admin: InitialAdminInput) {
    tenantCreate(input: { slug: $slug, name: $name, admin: $admin }) { tenant { id slug kind } }
  }
`);

export default function TenantsPage() {
  const { t } = useTranslation();
  const can = useCan();
  const [{ data, error }, reload] = useQuery({ query: TenantsQuery });
  const [made, make] = useMutation(TenantCreateMutation);
  const [f, setF] = useState({ slug: '', name: '', email: '', password: '' });
  return (
    <Stack>
      <Title order={2}>{t('tenants.title')}</Title>
      <ApiError error={error} />
      {can('tenant:create') && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">{t('tenants.new')}</Title>
          <Group align="end" wrap="wrap">
            <TextInput label={t('tenants.slug')} value={f.slug} onChange={(e) => setF({ ...f, slug: e.currentTarget.value })} />
            <TextInput label={t('tenants.name')} value={f.name} onChange={(e) => setF({ ...f, name: e.currentTarget.value })} />
            <TextInput label={t('tenants.adminEmail')} value={f.email} onChange={(e) => setF({ ...f, email: e.currentTarget.value })} />
            <PasswordInput label={t('access.password')} value={f.password} onChange={(e) => setF({ ...f, password: e.currentTarget.value })} />
            <Button loading={made.fetching} onClick={async () => {
              const admin = f.email ? { email: f.email, displayName: f.email, password: f.password } : null;
              const r = await make({ slug: f.slug, name: f.name, admin });
              if (r.data) { setF({ slug: '', name: '', email: '', password: '' }); reload({ requestPolicy: 'network-only' }); }
            }}>{t('tenants.create')}</Button>
          </Group>
          <ApiError error={made.error} />
        </Card>
      )}
      <Table striped data-testid="tenants">
        <Table.Tbody>
          {(data?.tenants.nodes ?? []).map((x) => (
            <Table.Tr key={x.id}>
              <Table.Td>{x.slug}</Table.Td><Table.Td>{x.name}</Table.Td><Table.Td><Badge variant="outline" color="dark">{x.kind}</Badge></Table.Td>
              <Table.Td>{x.status}</Table.Td><Table.Td>{formatTime(x.createdAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
