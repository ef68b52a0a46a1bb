// One box for everything: MSISDN in any format, ICCID (full, first or last digits), IMEI,
// IMSI, name, e-mail, phone. Results as you type; arrows and Enter choose, Escape closes.
import { Badge, Group, Paper, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';

const SearchQuery = graphql(`
  query Search($q: String!) {
    search(query: $q, first: 10) { kind id label status }
  }
`);

/** The server's rule: three characters, or two when not plain ASCII (a Japanese surname). */
function searchable(q: string): boolean {
  return [...q].length >= (/^[\x00-\x7f]*$/.test(q) ? 3 : 2);
}

export function SearchBox() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [active, setActive] = useState(0);
  useEffect(() => {
    const h = window.setTimeout(() => setQ(text.trim()), 200);
    return () => window.clearTimeout(h);
  }, [text]);
  const [{ data }] = useQuery({ query: SearchQuery, variables: { q }, pause: !searchable(q) });
  const hits = searchable(q) ? (data?.search ?? []) : [];
  const open = (i: number) => {
    const h = hits[i];
    const to = h?.kind === 'line' ? `/lines/${h.id}` : h?.kind === 'customer' ? `/customers/${h.id}` : null;
    if (to) {
      navigate(to);
      setText('');
      setQ('');
    }
  };
  return (
    <div style={{ position: 'relative', flex: 1, maxWidth: 520 }} role="search">
      <TextInput
        aria-label={t('search.label')}
        placeholder={t('search.placeholder')}
        value={text}
        onChange={(e) => {
          setText(e.currentTarget.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, hits.length - 1));
          if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          if (e.key === 'Enter') open(active);
          if (e.key === 'Escape') setText('');
        }}
        role="combobox"
        aria-expanded={hits.length > 0}
        aria-controls="search-results"
      />
      {searchable(q) && text && (
        <Paper withBorder shadow="md" p={4} style={{ position: 'absolute', top: 40, left: 0, right: 0, zIndex: 300 }}>
          <Stack gap={2} id="search-results" role="listbox" aria-label={t('search.label')}>
            {hits.length === 0 && <Text size="sm" p="xs">{t('search.none', { q })}</Text>}
            {hits.map((h, i) => (
              <UnstyledButton key={`${h.kind}:${h.id}`} role="option" aria-selected={i === active} onClick={() => open(i)} p="xs" bg={i === active ? 'var(--mantine-color-blue-light)' : undefined}>
                <Group justify="space-between" wrap="nowrap">
                  <Text size="sm">{h.label}</Text>
                  <Group gap={4} wrap="nowrap">
                    <Badge variant="light" size="sm">{h.kind}</Badge>
                    <Badge variant="outline" size="sm">{h.status}</Badge>
                  </Group>
                </Group>
              </UnstyledButton>
            ))}
          </Stack>
        </Paper>
      )}
    </div>
  );
}
