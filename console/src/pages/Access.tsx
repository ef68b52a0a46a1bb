// Who may do what in this tenant: users (create with roles, see status), API keys (the
// secret shown once, revoke), and the tenant's own policy rules on top of the defaults,
// with each role's purpose (rules kept in Policies). Everything here is audited by the API.
import { Badge, Button, Card, Code, Group, MultiSelect, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatTime } from '../i18n';
import { useCan } from '../permissions';
import { ApiError } from '../ui/errors';
import { Policies } from './Policies';

const AccessQuery = graphql(`
  query Access {
    roles { name purpose platformOnly }
    users(first: 100) { nodes { id email displayName roles status createdAt } }
    apiKeys(first: 100) { nodes { id name roles createdBy createdAt expiresAt revokedAt version } }
    policies { id ptype subject object action effect }
  }
`);

const UserCreateMutation = graphql(`
  mutation UserCreate($input: UserCreateInput!) {
    userCreate(input: $input) { user { id email } }
  }
`);

const KeyCreateMutation = graphql(`
  mutation ApiKeyCreate($name: String!, $roles: [String!]!) {
    apiKeyCreate(input: { name: $name, roles: $roles }) { secret apiKey { id name } }
  }
`);

const KeyRevokeMutation = graphql(`
  mutation ApiKeyRevoke($id: ID!, $version: Int!) {
    apiKeyRevoke(input: { id: $id, version: $version }) { apiKey { id revokedAt } }
  }
`);

export default function AccessPage() {
  const { t } = useTranslation();
  const can = useCan();
  const [{ data, error }, reload] = useQuery({ query: AccessQuery });
  const [userMade, makeUser] = useMutation(UserCreateMutation);
  const [keyMade, makeKey] = useMutation(KeyCreateMutation);
  const [revoked, revoke] = useMutation(KeyRevokeMutation);
  const [u, setU] = useState({ email: '', displayName: '', password: '', roles: [] as string[] });
  const [k, setK] = useState({ name: '', roles: [] as string[] });
  const [secret, setSecret] = useState<string | null>(null);
  const roles = (data?.roles ?? []).filter((r) => !r.platformOnly).map((r) => ({ value: r.name, label: r.name }));
  const again = () => reload({ requestPolicy: 'network-only' });
  return (
    <Stack>
      <Title order={2}>{t('access.title')}</Title>
      <ApiError error={error} />
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">{t('access.users')}</Title>
        {can('user:create') && (
          <Group align="end" mb="sm" wrap="wrap">
            <TextInput label={t('customers.email')} value={u.email} onChange={(e) => setU({ ...u, email: e.currentTarget.value })} />
            <TextInput label={t('access.displayName')} value={u.displayName} onChange={(e) => setU({ ...u, displayName: e.currentTarget.value })} />
            <PasswordInput label={t('access.password')} value={u.password} onChange={(e) => setU({ ...u, password: e.currentTarget.value })} />
            <MultiSelect label={t('access.roles')} data={roles} value={u.roles} onChange={(v) => setU({ ...u, roles: v })} w={260} searchable />
            <Button loading={userMade.fetching} onClick={async () => {
              const r = await makeUser({ input: u });
              if (r.data) { setU({ email: '', displayName: '', password: '', roles: [] }); again(); }
            }}>{t('access.createUser')}</Button>
          </Group>
        )}
        <ApiError error={userMade.error} />
        <Table striped data-testid="users">
          <Table.Tbody>
            {(data?.users.nodes ?? []).map((x) => (
              <Table.Tr key={x.id}>
                <Table.Td>{x.email}</Table.Td><Table.Td>{x.displayName}</Table.Td>
                <Table.Td>{x.roles.map((r) => <Badge key={r} variant="outline" color="dark" mr={4}>{r}</Badge>)}</Table.Td>
                <Table.Td>{x.status}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">{t('access.keys')}</Title>
        {can('api_key:create') && (
          <Group align="end" mb="sm">
            <TextInput label={t('access.keyName')} value={k.name} onChange={(e) => setK({ ...k, name: e.currentTarget.value })} />
            <MultiSelect label={t('access.roles')} data={roles} value={k.roles} onChange={(v) => setK({ ...k, roles: v })} w={260} searchable />
            <Button loading={keyMade.fetching} onClick={async () => {
              const r = await makeKey(k);
              if (r.data) { setSecret(r.data.apiKeyCreate.secret); setK({ name: '', roles: [] }); again(); }
            }}>{t('access.createKey')}</Button>
          </Group>
        )}
        {secret && (
          <Text role="status" mb="sm" data-testid="key-secret">{t('access.secretOnce')} <Code>{secret}</Code></Text>
        )}
        <ApiError error={keyMade.error ?? revoked.error} />
        <Table striped data-testid="keys">
          <Table.Tbody>
            {(data?.apiKeys.nodes ?? []).map((x) => (
              <Table.Tr key={x.id}>
                <Table.Td>{x.name}</Table.Td><Table.Td>{x.roles.join(', ')}</Table.Td><Table.Td>{x.createdBy} · {formatTime(x.createdAt)}</Table.Td>
                <Table.Td>
                  {x.revokedAt ? t('access.revokedAt', { at: formatTime(x.revokedAt) }) : can('api_key:revoke') && (
                    <Button size="compact-sm" variant="outline" color="red.9" onClick={async () => {
                      const r = await revoke({ id: x.id, version: x.version });
                      if (r.data) again();
                    }}>{t('access.revoke')}</Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
      <Card withBorder>
        <Policies policies={data?.policies ?? []} onChange={again} />
        <Title order={4} size="h5" mt="md">{t('access.roleList')}</Title>
        {(data?.roles ?? []).map((r) => (
          <Text size="sm" key={r.name}><b>{r.name}</b>: {r.purpose}</Text>
        ))}
      </Card>
    </Stack>
  );
}
