// The tenant's own policy rules on top of the defaults: listed, added (a rule `p` or a role
// inheritance `g`) after a review that says in words what the rule will allow or deny, and
// removed after a confirmation. The API checks the rule (a tenant can grant only what its
// own roles already have) and names the wrong field.
import { Button, Code, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { useCan } from '../permissions';
import { Confirm } from '../ui/Confirm';
import { ApiError } from '../ui/errors';

const Add = graphql(`
  mutation PolicyAdd($input: PolicyAddInput!) { policyAdd(input: $input) { policy { id } } }
`);
const Remove = graphql(`
  mutation PolicyRemove($id: ID!) { policyRemove(input: { id: $id }) { policy { id } } }
`);

type Policy = { id: string; ptype: string; subject: string; object: string; action?: string | null; effect?: string | null };
const EMPTY = { ptype: 'p', subject: '', object: '', action: '', effect: 'allow' };

export function Policies({ policies, onChange }: { policies: Policy[]; onChange: () => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const [added, add] = useMutation(Add);
  const [removed, remove] = useMutation(Remove);
  const [rule, setRule] = useState(EMPTY);
  const [review, setReview] = useState(false);
  const [confirm, setConfirm] = useState<Policy | null>(null);
  const edit = (r: typeof rule) => { setRule(r); setReview(false); };
  const words = (r: { ptype: string; subject: string; object: string; action?: string | null; effect?: string | null }) =>
    r.ptype === 'g'
      ? t('access.ruleInherits', { subject: r.subject, object: r.object })
      : t(r.effect === 'deny' ? 'access.ruleDenies' : 'access.ruleAllows', { subject: r.subject, object: r.object, action: r.action || '—' });
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">{t('access.policies')}</Title>
      {policies.length === 0 && <Text size="sm">{t('access.noPolicies')}</Text>}
      {policies.map((p) => (
        <Group key={p.id} gap="xs" data-testid="policy">
          <Code>{[p.ptype, p.subject, p.object, p.action, p.effect].filter(Boolean).join(', ')}</Code>
          <Text size="sm">{words(p)}</Text>
          {can('policy:delete') && (
            <Button size="compact-xs" variant="outline" color="red.9" onClick={() => setConfirm(p)}>{t('customer.remove')}</Button>
          )}
        </Group>
      ))}
      {confirm && (
        <Confirm text={`${t('access.removeRule')} ${words(confirm)}`} yes={t('customer.removeYes')} loading={removed.fetching} onCancel={() => setConfirm(null)} onYes={async () => {
          const r = await remove({ id: confirm.id });
          if (r.data) { setConfirm(null); onChange(); }
        }} />
      )}
      <ApiError error={removed.error} />
      {can('policy:create') && (
        <Stack gap="xs">
          <Group align="end" gap="xs">
            <Select label={t('access.ptype')} w={200} allowDeselect={false} value={rule.ptype} onChange={(v) => edit({ ...rule, ptype: v ?? 'p' })}
              data={[{ value: 'p', label: t('access.ptypeRule') }, { value: 'g', label: t('access.ptypeInherit') }]} />
            <TextInput label={t('access.subject')} value={rule.subject} onChange={(e) => edit({ ...rule, subject: e.currentTarget.value })} />
            <TextInput label={t('access.object')} value={rule.object} onChange={(e) => edit({ ...rule, object: e.currentTarget.value })} />
            {rule.ptype === 'p' && (
              <>
                <TextInput label={t('access.action')} value={rule.action} onChange={(e) => edit({ ...rule, action: e.currentTarget.value })} />
                <Select label={t('access.effect')} w={120} allowDeselect={false} value={rule.effect} onChange={(v) => edit({ ...rule, effect: v ?? 'allow' })}
                  data={[{ value: 'allow', label: 'allow' }, { value: 'deny', label: 'deny' }]} />
              </>
            )}
            {!review ? (
              <Button variant="outline" onClick={() => setReview(true)}>{t('catalog.review')}</Button>
            ) : (
              <Button loading={added.fetching} onClick={async () => {
                const input = rule.ptype === 'g' ? { ptype: 'g', subject: rule.subject, object: rule.object } : rule;
                const r = await add({ input });
                if (r.data) { setRule(EMPTY); setReview(false); onChange(); }
              }}>{t('access.addRule')}</Button>
            )}
          </Group>
          {review && <Text size="sm" role="status" data-testid="rule-effect">{words(rule)}</Text>}
          <ApiError error={added.error} />
        </Stack>
      )}
    </Stack>
  );
}
