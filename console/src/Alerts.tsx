// Live alerts: the console subscribes to `alerts` (over /graphql/ws, by persisted hash) and
// shows each as it arrives — newest first, critical ones marked — in a live region screen
// readers announce. Only roles allowed `alert:read` subscribe (from `viewer.allowed`).
import { ActionIcon, Badge, Indicator, Popover, ScrollArea, Stack, Text, VisuallyHidden } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSubscription } from 'urql';
import { graphql } from './gql';
import type { AlertsSubscription } from './gql/graphql';

const AlertsSub = graphql(`
  subscription Alerts {
    alerts { deliveryId eventId topic subject body critical }
  }
`);

type Alert = AlertsSubscription['alerts'];

const KEEP = 50;

export function AlertsBell() {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  // What has arrived is counted apart from what is kept: the list holds the newest KEEP,
  // the badge counts every alert since the list was last opened.
  // (Counted in an effect: the subscription's handler runs inside a state update, which must
  // stay pure.)
  const [received, setReceived] = useState(0);
  const [seen, setSeen] = useState(0);
  const counted = useRef(new Set<string>());
  const [{ data }] = useSubscription<AlertsSubscription, Alert[]>({ query: AlertsSub }, (prev = [], r) =>
    [r.alerts, ...prev.filter((a) => a.deliveryId !== r.alerts.deliveryId)].slice(0, KEEP),
  );
  const alerts = data ?? [];
  const newest = alerts[0]?.deliveryId;
  useEffect(() => {
    if (newest && !counted.current.has(newest)) {
      counted.current.add(newest);
      setReceived((n) => n + 1);
    }
  }, [newest]);
  const unseen = received - seen;
  return (
    <>
      {/* Announced as they arrive, whether or not the list is open. */}
      <VisuallyHidden aria-live="polite" data-testid="alert-live">
        {alerts[0] ? `${t('alerts.new')}: ${alerts[0].subject}` : ''}
      </VisuallyHidden>
      <Indicator label={unseen} size={18} disabled={unseen <= 0} color="red.9">
        <Popover opened={opened} onChange={setOpened} width={420} position="bottom-end" shadow="md">
          <Popover.Target>
            <ActionIcon
              variant="default"
              size="lg"
              aria-label={t('alerts.open', { count: unseen })}
              data-testid="alerts-bell"
              onClick={() => {
                setOpened((o) => !o);
                setSeen(received);
              }}
            >
              <svg aria-hidden width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
                <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
                <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
              </svg>
            </ActionIcon>
          </Popover.Target>
          <Popover.Dropdown>
            <ScrollArea.Autosize mah={420}>
              <Stack gap="xs" data-testid="alerts">
                {alerts.length === 0 && <Text size="sm">{t('alerts.none')}</Text>}
                {alerts.map((a) => (
                  <Stack key={a.deliveryId} gap={2} data-testid="alert">
                    <Text size="sm" fw={600}>
                      {a.critical && <Badge color="red.9" size="xs" mr={4}>{t('alerts.critical')}</Badge>}
                      {a.subject}
                    </Text>
                    <Text size="xs" c="dimmed">{a.topic}</Text>
                    <Text size="xs" style={{ whiteSpace: 'pre-line' }} lineClamp={4}>{a.body}</Text>
                  </Stack>
                ))}
              </Stack>
            </ScrollArea.Autosize>
          </Popover.Dropdown>
        </Popover>
      </Indicator>
    </>
  );
}
