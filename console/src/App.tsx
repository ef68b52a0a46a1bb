// The shell: who is signed in (from the API's `viewer`), the search box, the work queues,
// the language switch; routes to the pages. Without a session: the sign-in page.
import { AppShell, Button, Group, Loader, NavLink, SegmentedControl, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes, useLocation } from 'react-router-dom';
import { Provider, useQuery } from 'urql';
import { makeClient } from './client';
import { graphql } from './gql';
import { ApprovalsPage } from './pages/Approvals';
import { CarrierPage } from './pages/Carrier';
import { LinePage } from './pages/Line';
import { ReviewPage } from './pages/Review';
import { SearchBox } from './pages/Search';
import { SignInPage } from './pages/SignIn';
import { accessToken, onSessionChange, refresh, signOut } from './session';

const ViewerQuery = graphql(`
  query Viewer {
    viewer { tenantSlug actorLabel roles }
  }
`);

export function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  useEffect(() => onSessionChange(() => setSignedIn(accessToken() !== null)), []);
  useEffect(() => {
    // A reload: the refresh cookie signs back in, or the sign-in page shows.
    void refresh().then((ok) => setSignedIn(ok));
  }, []);
  const client = useMemo(() => makeClient(() => setSignedIn(false)), [signedIn]);
  if (signedIn === null) return <Loader m="xl" aria-label="loading" />;
  if (!signedIn) return <SignInPage />;
  return (
    <Provider value={client}>
      <Shell />
    </Provider>
  );
}

function Shell() {
  const { t, i18n } = useTranslation();
  const [{ data }] = useQuery({ query: ViewerQuery });
  const where = useLocation().pathname;
  return (
    <AppShell header={{ height: 64 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Title order={1} size="h4">
            {t('app.name')}
          </Title>
          <SearchBox />
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" data-testid="viewer">
              {data?.viewer.actorLabel} · {data?.viewer.tenantSlug}
            </Text>
            <SegmentedControl
              aria-label={t('app.language')}
              size="xs"
              value={i18n.language}
              onChange={(l) => void i18n.changeLanguage(l)}
              data={[
                { value: 'ja', label: '日本語' },
                { value: 'en', label: 'English' },
              ]}
            />
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              {t('app.signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="main">
        <NavLink component={Link} to="/approvals" label={t('app.nav.approvals')} active={where === "/approvals"} variant="filled" />
        <NavLink component={Link} to="/review" label={t('app.nav.review')} active={where === "/review"} variant="filled" />
        <NavLink component={Link} to="/carrier" label={t('app.nav.carrier')} active={where === "/carrier"} variant="filled" />
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route path="/lines/:id" element={<LinePage />} />
          <Route path="/approvals" element={<ApprovalsPage viewer={data?.viewer.actorLabel} />} />
          <Route path="/review" element={<ReviewPage />} />
          <Route path="/carrier" element={<CarrierPage />} />
          <Route path="*" element={<ApprovalsPage viewer={data?.viewer.actorLabel} />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
