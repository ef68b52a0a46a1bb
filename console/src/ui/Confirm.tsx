// The one inline confirmation: what the action will do, in words, with the action button
// (focused, so the keyboard and screen readers land on it) and Cancel. A destructive action
// is outlined in red. Anything the action needs first (an overlap, a reason) goes in front.
import { Button, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function Confirm({ text, yes, onYes, onCancel, loading, danger = true, children }: {
  text: string; yes: string; onYes: () => void; onCancel: () => void; loading?: boolean; danger?: boolean; children?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Group role="alertdialog" aria-label={text} align="end" mt="xs">
      {children}
      <Text size="sm">{text}</Text>
      <Button autoFocus size="xs" color={danger ? 'red.9' : undefined} variant={danger ? 'outline' : 'filled'} loading={loading} onClick={onYes}>{yes}</Button>
      <Button size="xs" variant="default" onClick={onCancel}>{t('common.cancel')}</Button>
    </Group>
  );
}
