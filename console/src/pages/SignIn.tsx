import { Alert, Button, Container, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { SignInError, signIn } from '../session';

export function SignInPage() {
  const { t } = useTranslation();
  const [tenant, setTenant] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(tenant.trim(), email.trim(), password);
    } catch (err) {
      setError(err instanceof SignInError && err.message === 'RATE_LIMITED' ? t('signIn.limited') : t('signIn.failed'));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Container size={420} my="xl">
      <main>
        <Title order={1} ta="center" mb="md">
          {t('signIn.title')}
        </Title>
        <Paper withBorder p="lg" radius="md">
          <form onSubmit={submit}>
            <Stack>
              <TextInput label={t('signIn.tenant')} description={t('signIn.tenantHint')} required value={tenant} onChange={(e) => setTenant(e.currentTarget.value)} autoComplete="organization" />
              <TextInput label={t('signIn.email')} type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} autoComplete="username" />
              <PasswordInput label={t('signIn.password')} required value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" />
              {error && (
                <Alert color="red" role="alert">
                  {error}
                </Alert>
              )}
              <Button type="submit" loading={busy}>
                {t('signIn.submit')}
              </Button>
            </Stack>
          </form>
        </Paper>
      </main>
    </Container>
  );
}
