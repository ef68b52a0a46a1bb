// The shell: who is signed in and what they may do (from the API's `viewer`), the search
// box, live alerts, the language switch; routes to the pages, each loaded on first use.
// Staff get the console; a customer login gets self-service. Without a session: sign-in.
import { AppShell, Button, Group, Loader, NavLink, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { type ReactNode, Suspense, lazy, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes, useLocation } from 'react-router-dom';
import { Provider, useQuery } from 'urql';
import { AlertsBell } from './Alerts';
import { makeClient } from './client';
import { graphql } from './gql';
import { setFormats } from './i18n';
import { SearchBox } from './pages/Search';
import { ApiError } from './ui/errors';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { SignInPage } from './pages/SignIn';
import { ACTIONS, type Action, type Viewer, ViewerContext, useCan } from './permissions';
import { accessToken, onSessionChange, refresh, signOut } from './session';

// Each page's chunk, by the first segment of its address.
const chunks = {
  access: () => import('./pages/Access'),
  approvals: () => import('./pages/Approvals'),
  audit: () => import('./pages/Audit'),
  carrier: () => import('./pages/Carrier'),
  catalog: () => import('./pages/Catalog'),
  customer: () => import('./pages/Customer'),
  customers: () => import('./pages/Customers'),
  inventory: () => import('./pages/Inventory'),
  lines: () => import('./pages/Line'),
  notifications: () => import('./pages/Notifications'),
  orders: () => import('./pages/Orders'),
  plugins: () => import('./pages/Plugins'),
  review: () => import('./pages/Review'),
  self: () => import('./pages/SelfService'),
  tenants: () => import('./pages/Tenants'),
  usage: () => import('./pages/Usage'),
};
// The page of the address the app is opened at starts loading with the app, not after the
// session refresh and `viewer`: a cold load of a line's address waits one step less.
{
  const [, first = '', second] = window.location.pathname.split('/');
  const key = first === 'customers' && second ? 'customer' : first;
  if (Object.hasOwn(chunks, key)) void chunks[key as keyof typeof chunks]();
}
const AccessPage = lazy(chunks.access);
const ApprovalsPage = lazy(chunks.approvals);
const AuditPage = lazy(chunks.audit);
const CarrierPage = lazy(chunks.carrier);
const CatalogPage = lazy(chunks.catalog);
const CustomerPage = lazy(chunks.customer);
const CustomersPage = lazy(chunks.customers);
const InventoryPage = lazy(chunks.inventory);
const LinePage = lazy(chunks.lines);
const NotificationsPage = lazy(chunks.notifications);
const OrdersPage = lazy(chunks.orders);
const PluginsPage = lazy(chunks.plugins);
const ReviewPage = lazy(chunks.review);
const SelfServicePage = lazy(chunks.self);
const TenantsPage = lazy(chunks.tenants);
const UsagePage = lazy(chunks.usage);

const ViewerQuery = graphql(`
  query Viewer($actions: [String!]!) {
    viewer { tenantId tenantSlug actorLabel roles selfService allowed(actions: $actions) user { id locale } formats { timeZone currency } }
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

interface Item {
  to: string;
  label: string;
  needs: Action;
}

function Shell() {
  const { t, i18n } = useTranslation();
  const [{ data, error }, again] = useQuery({ query: ViewerQuery, variables: { actions: [...ACTIONS, 'alert:read'] } });
  const where = useLocation().pathname;
  const viewer: Viewer | null = data?.viewer ?? null;
  // Dates and money in the tenant's time zone and currency, before any page renders.
  if (data?.viewer.formats) setFormats(data.viewer.formats);
  // The language the user saved (self-service profile, or the API) follows them to a new
  // browser; a choice made in this browser's header stays this browser's.
  const saved = data?.viewer.user?.locale;
  useEffect(() => {
    if ((saved === 'ja' || saved === 'en') && !localStorage.getItem('tsunagi.lang')) void i18n.changeLanguage(saved);
  }, [saved, i18n]);
  if (!viewer && error) {
    // Without `viewer` nothing can be shown: say why and offer to try again.
    return (
      <Stack m="xl" maw={560}>
        <ApiError error={error} />
        <Button onClick={() => again({ requestPolicy: 'network-only' })}>{t('app.retry')}</Button>
      </Stack>
    );
  }
  if (!viewer) return <Loader m="xl" aria-label="loading" />;
  const self = viewer.selfService;
  const items: Item[] = self
    ? [{ to: '/', label: t('app.nav.myLines'), needs: 'self_service:read' }]
    : [
        { to: '/approvals', label: t('app.nav.approvals'), needs: 'approval:read' },
        { to: '/review', label: t('app.nav.review'), needs: 'line:read' },
        { to: '/customers', label: t('app.nav.customers'), needs: 'customer:read' },
        { to: '/orders', label: t('app.nav.orders'), needs: 'order:read' },
        { to: '/catalog', label: t('app.nav.catalog'), needs: 'catalog:read' },
        { to: '/inventory', label: t('app.nav.inventory'), needs: 'inventory:read' },
        { to: '/usage', label: t('app.nav.usage'), needs: 'usage:read' },
        { to: '/plugins', label: t('app.nav.plugins'), needs: 'plugin:read' },
        { to: '/carrier', label: t('app.nav.carrier'), needs: 'carrier:read' },
        { to: '/notifications', label: t('app.nav.notifications'), needs: 'notification:read' },
        { to: '/access', label: t('app.nav.access'), needs: 'user:read' },
        { to: '/tenants', label: t('app.nav.tenants'), needs: 'tenant:read' },
        { to: '/audit', label: t('app.nav.audit'), needs: 'audit:read' },
      ];
  const shown = items.filter((i) => viewer.allowed.includes(i.needs));
  const home = self ? <SelfServicePage /> : shown[0]?.to === '/approvals' ? <ApprovalsPage /> : <Home />;
  return (
    <ViewerContext.Provider value={viewer}>
      <AppShell header={{ height: 64 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Title order={1} size="h4">
              {self ? t('app.selfName') : t('app.name')}
            </Title>
            {viewer.allowed.includes('search:read') ? <SearchBox /> : <span />}
            <Group gap="sm" wrap="nowrap">
              {viewer.allowed.includes('alert:read') && <AlertsBell />}
              <Text size="sm" data-testid="viewer">
                {viewer.actorLabel} · {viewer.tenantSlug}
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
          {shown.map((i) => (
            <NavLink key={i.to} component={Link} to={i.to} label={i.label} active={where === i.to || (i.to !== '/' && where.startsWith(`${i.to}/`))} variant="filled" />
          ))}
        </AppShell.Navbar>
        <AppShell.Main>
          <ErrorBoundary resetKey={where}>
            <Suspense fallback={<Loader aria-label="loading" />}>
              <Routes>
                {self ? (
                  <Route path="*" element={<SelfServicePage />} />
                ) : (
                  <>
                    <Route path="/lines/:id" element={<LinePage />} />
                    <Route path="/approvals" element={<Guard needs="approval:read"><ApprovalsPage /></Guard>} />
                    <Route path="/review" element={<ReviewPage />} />
                    <Route path="/customers" element={<Guard needs="customer:read"><CustomersPage /></Guard>} />
                    <Route path="/customers/:id" element={<Guard needs="customer:read"><CustomerPage /></Guard>} />
                    <Route path="/catalog" element={<Guard needs="catalog:read"><CatalogPage /></Guard>} />
                    <Route path="/plugins" element={<Guard needs="plugin:read"><PluginsPage /></Guard>} />
                    <Route path="/carrier" element={<Guard needs="carrier:read"><CarrierPage /></Guard>} />
                    <Route path="/audit" element={<Guard needs="audit:read"><AuditPage /></Guard>} />
                    <Route path="/orders" element={<Guard needs="order:read"><OrdersPage /></Guard>} />
                    <Route path="/inventory" element={<Guard needs="inventory:read"><InventoryPage /></Guard>} />
                    <Route path="/usage" element={<Guard needs="usage:read"><UsagePage /></Guard>} />
                    <Route path="/notifications" element={<Guard needs="notification:read"><NotificationsPage /></Guard>} />
                    <Route path="/access" element={<Guard needs="user:read"><AccessPage /></Guard>} />
                    <Route path="/tenants" element={<Guard needs="tenant:read"><TenantsPage /></Guard>} />
                    <Route path="*" element={home} />
                  </>
                )}
              </Routes>
            </Suspense>
          </ErrorBoundary>
        </AppShell.Main>
      </AppShell>
    </ViewerContext.Provider>
  );
}

/** A page the viewer's roles do not allow says so instead of failing on every query. */
function Guard({ needs, children }: { needs: Action; children: ReactNode }) {
  const { t } = useTranslation();
  const can = useCan();
  return can(needs) ? children : <Text role="alert">{t('app.notAllowed')}</Text>;
}

function Home() {
  const { t } = useTranslation();
  return <Text>{t('app.home')}</Text>;
}
