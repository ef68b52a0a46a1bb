// A customer login's own profile in self-service: who it is signed in as, the language of
// the console and of its messages (saved to its user, so e-mails follow it too), and which
// messages it receives — every non-critical one by e-mail, or topic by topic. Critical
// messages are always delivered; the server refuses opting out of them and says why.
import { Button, Card, Group, SegmentedControl, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { ApiError } from '../ui/errors';

const ProfileQuery = graphql(`
  query MyProfile {
    viewer { user { id email displayName locale } }
    myNotificationPreferences { topic channel optedOut updatedAt }
  }
`);
const LocaleSet = graphql(`
  mutation MyLocaleSet($locale: String) { viewerLocaleSet(input: { locale: $locale }) { user { id locale } } }
`);
const PreferenceSet = graphql(`
  mutation MyPreferenceSet($topic: String!, $optedOut: Boolean!) {
    notificationPreferenceSet(input: { topic: $topic, channel: "email", optedOut: $optedOut }) { preference { topic optedOut } }
  }
`);

export function MyProfile() {
  const { t, i18n } = useTranslation();
  const [{ data, error }, reload] = useQuery({ query: ProfileQuery });
  const [localeRes, setLocale] = useMutation(LocaleSet);
  const [prefRes, setPref] = useMutation(PreferenceSet);
  const [topic, setTopic] = useState('');
  const again = () => reload({ requestPolicy: 'network-only' });
  const user = data?.viewer.user;
  const prefs = (data?.myNotificationPreferences ?? []).filter((p) => p.channel === 'email');
  const all = prefs.find((p) => p.topic === '*');
  const set = async (tp: string, optedOut: boolean) => {
    const r = await setPref({ topic: tp, optedOut });
    if (r.data) again();
    return !!r.data;
  };
  return (
    <Card withBorder data-testid="my-profile">
      <Title order={3} size="h4" mb="xs">{t('self.profile')}</Title>
      <ApiError error={error} />
      {user && <Text size="sm">{user.displayName} · {user.email}</Text>}
      <Stack gap="xs" mt="sm">
        <Text size="sm" fw={600} id="my-language">{t('self.language')}</Text>
        <SegmentedControl aria-labelledby="my-language" value={user?.locale ?? 'tenant'} data={[{ value: 'ja', label: '日本語' }, { value: 'en', label: 'English' }, { value: 'tenant', label: t('self.tenantLanguage') }]}
          onChange={async (v) => {
            const locale = v === 'tenant' ? null : v;
            const r = await setLocale({ locale });
            if (r.data) { if (locale) void i18n.changeLanguage(locale); again(); }
          }} />
        <ApiError error={localeRes.error} />
        <Text size="sm" fw={600} mt="sm">{t('self.messages')}</Text>
        <Switch label={t('self.allByEmail')} checked={!all?.optedOut} onChange={(e) => void set('*', !e.currentTarget.checked)} />
        {prefs.filter((p) => p.topic !== '*').length > 0 && (
          <Table data-testid="my-preferences">
            <Table.Tbody>
              {prefs.filter((p) => p.topic !== '*').map((p) => (
                <Table.Tr key={p.topic}>
                  <Table.Td>{p.topic}</Table.Td>
                  <Table.Td>{p.optedOut ? t('self.optedOut') : t('self.optedIn')}</Table.Td>
                  <Table.Td><Button size="compact-xs" variant="default" onClick={() => void set(p.topic, !p.optedOut)}>{p.optedOut ? t('self.optIn') : t('self.optOut')}</Button></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <form onSubmit={async (e) => { e.preventDefault(); if (await set(topic.trim(), true)) setTopic(''); }}>
          <Group align="end">
            <TextInput label={t('self.topic')} description={t('self.topicHint')} value={topic} onChange={(e) => setTopic(e.currentTarget.value)} />
            <Button type="submit" variant="outline" disabled={!topic.trim()}>{t('self.stopTopic')}</Button>
          </Group>
        </form>
        <ApiError error={prefRes.error} />
      </Stack>
    </Card>
  );
}
