// A customer's contacts and billing accounts, kept from the customer page: add a contact
// (an e-mail address or a phone number, with its role), remove one after a confirmation that
// names it, and open another billing account. The server checks each field and names the
// one that is wrong; the forms keep what was typed until it is accepted.
import { Button, Card, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { Confirm } from '../ui/Confirm';
import { ApiError } from '../ui/errors';

const AddContact = graphql(`
  mutation CustomerContactAdd($input: CustomerContactAddInput!) {
    customerContactAdd(input: $input) { customer { id contacts { id name email phone role } } }
  }
`);

const RemoveContact = graphql(`
  mutation CustomerContactRemove($customerId: ID!, $contactId: ID!) {
    customerContactRemove(input: { customerId: $customerId, contactId: $contactId }) { customer { id contacts { id name email phone role } } }
  }
`);

const AddAccount = graphql(`
  mutation CustomerBillingAccountAdd($customerId: ID!, $name: String!) {
    customerBillingAccountAdd(input: { customerId: $customerId, name: $name }) { customer { id billingAccounts { id name currency } } }
  }
`);

const ROLES = ['primary', 'billing', 'technical', 'emergency'] as const;

type Contact = { id: string; name: string; email?: string | null; phone?: string | null; role: string };

export function Contacts({ customerId, contacts, canEdit, onChange }: { customerId: string; contacts: Contact[]; canEdit: boolean; onChange: () => void }) {
  const { t } = useTranslation();
  const [added, add] = useMutation(AddContact);
  const [removed, remove] = useMutation(RemoveContact);
  const [form, setForm] = useState({ name: '', email: '', phone: '', role: 'billing' });
  const [confirm, setConfirm] = useState<Contact | null>(null);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">{t('customer.contacts')}</Title>
      {contacts.length === 0 && <Text size="sm">—</Text>}
      <Stack gap={4}>
        {contacts.map((k) => (
          <Group key={k.id} justify="space-between" data-testid="contact">
            <Text size="sm">{k.name} · {t(`customer.role.${k.role}`, { defaultValue: k.role })} · {[k.email, k.phone].filter(Boolean).join(' · ')}</Text>
            {canEdit && (
              <Button size="compact-xs" variant="outline" color="red.9" onClick={() => setConfirm(k)} aria-label={t('customer.removeContact', { name: k.name })}>
                {t('customer.remove')}
              </Button>
            )}
          </Group>
        ))}
      </Stack>
      {confirm && (
        <Confirm text={t('customer.removeConfirm', { name: confirm.name })} yes={t('customer.removeYes')} loading={removed.fetching} onCancel={() => setConfirm(null)} onYes={async () => {
          const r = await remove({ customerId, contactId: confirm.id });
          if (r.data) { setConfirm(null); onChange(); }
        }} />
      )}
      <ApiError error={removed.error} />
      {canEdit && (
        <form onSubmit={async (e) => {
          e.preventDefault();
          const r = await add({ input: { customerId, name: form.name, email: form.email || null, phone: form.phone || null, role: form.role } });
          if (r.data) { setForm({ name: '', email: '', phone: '', role: 'billing' }); onChange(); }
        }}>
          <Text size="sm" fw={600} mt="md">{t('customer.addContact')}</Text>
          <Group align="end" gap="xs">
            <TextInput label={t('customer.contactName')} value={form.name} onChange={set('name')} required />
            <Select label={t('customer.contactRole')} data={ROLES.map((r) => ({ value: r, label: t(`customer.role.${r}`) }))} value={form.role} onChange={(v) => setForm({ ...form, role: v ?? 'billing' })} allowDeselect={false} />
            <TextInput label={t('customers.email')} type="email" value={form.email} onChange={set('email')} />
            <TextInput label={t('customers.phone')} value={form.phone} onChange={set('phone')} />
            <Button type="submit" loading={added.fetching}>{t('customer.add')}</Button>
          </Group>
          <Text size="xs" c="dimmed">{t('customer.contactHint')}</Text>
          <ApiError error={added.error} />
        </form>
      )}
    </Card>
  );
}

export function BillingAccounts({ customerId, accounts, canEdit, onChange }: { customerId: string; accounts: { id: string; name: string; currency: string }[]; canEdit: boolean; onChange: () => void }) {
  const { t } = useTranslation();
  const [added, add] = useMutation(AddAccount);
  const [name, setName] = useState('');
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">{t('customer.billingAccounts')}</Title>
      {accounts.map((b) => <Text key={b.id} size="sm" data-testid="billing-account">{b.name} ({b.currency})</Text>)}
      {canEdit && (
        <form onSubmit={async (e) => {
          e.preventDefault();
          const r = await add({ customerId, name });
          if (r.data) { setName(''); onChange(); }
        }}>
          <Group align="end" gap="xs" mt="sm">
            <TextInput label={t('customer.accountName')} value={name} onChange={(e) => setName(e.currentTarget.value)} required />
            <Button type="submit" loading={added.fetching}>{t('customer.openAccount')}</Button>
          </Group>
          <Text size="xs" c="dimmed">{t('customer.accountHint')}</Text>
          <ApiError error={added.error} />
        </form>
      )}
    </Card>
  );
}
