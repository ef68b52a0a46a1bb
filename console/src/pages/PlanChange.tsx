// A plan change on the line page: choose the plan, see what it does before confirming (the
// monthly fee now and after, the days left in the period and the prorated charge or credit,
// from `planChangePreview`), then order it. Nothing changes until "Confirm".
import { Alert, Button, Group, Select, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { formatMoney } from '../i18n';

const PlansQuery = graphql(`
  query ActivePlans {
    plans(status: ACTIVE) { id code name }
  }
`);

const PreviewQuery = graphql(`
  query PlanChangePreview($contract: ID!, $plan: ID!) {
    planChangePreview(contractId: $contract, planId: $plan) {
      currency currentMonthlyFee newMonthlyFee daysRemaining daysInPeriod proration
    }
  }
`);

const PlanChangeMutation = graphql(`
  mutation OrderPlanChange($contract: ID!, $plan: ID!) {
    orderPlanChange(input: { contractId: $contract, planId: $plan }) {
      order { id kind status holdReason }
      preview { proration currency }
    }
  }
`);

export function PlanChange({ contractId, currentPlanId, onDone }: { contractId: string; currentPlanId: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [{ data: plans }] = useQuery({ query: PlansQuery });
  const [plan, setPlan] = useState<string | null>(null);
  const [{ data: preview, error: previewError }] = useQuery({
    query: PreviewQuery,
    variables: { contract: contractId, plan: plan ?? '' },
    pause: !plan,
    requestPolicy: 'network-only',
  });
  const [ordered, order] = useMutation(PlanChangeMutation);
  const [result, setResult] = useState<string | null>(null);
  const choices = (plans?.plans ?? []).filter((p) => p.id !== currentPlanId).map((p) => ({ value: p.id, label: `${p.name} (${p.code})` }));
  const p = plan ? preview?.planChangePreview : undefined;
  const error = previewError ?? ordered.error;
  return (
    <Stack gap="xs">
      <Text fw={600}>{t('planChange.title')}</Text>
      <Select label={t('planChange.newPlan')} data={choices} value={plan} onChange={(v) => { setPlan(v); setResult(null); }} placeholder={t('planChange.choose')} />
      {error && <Alert color="red" role="alert">{t('errors.generic', { message: error.graphQLErrors[0]?.message ?? error.message })}</Alert>}
      {p && (
        <Table data-testid="plan-preview" withTableBorder>
          <Table.Tbody>
            <Table.Tr><Table.Th>{t('planChange.current')}</Table.Th><Table.Td>{formatMoney(p.currentMonthlyFee, p.currency)}</Table.Td></Table.Tr>
            <Table.Tr><Table.Th>{t('planChange.next')}</Table.Th><Table.Td>{formatMoney(p.newMonthlyFee, p.currency)}</Table.Td></Table.Tr>
            <Table.Tr><Table.Th>{t('planChange.days')}</Table.Th><Table.Td>{t('planChange.daysOf', { left: p.daysRemaining, of: p.daysInPeriod })}</Table.Td></Table.Tr>
            <Table.Tr>
              <Table.Th>{p.proration >= 0 ? t('planChange.charge') : t('planChange.credit')}</Table.Th>
              <Table.Td data-testid="proration">{formatMoney(Math.abs(p.proration), p.currency)}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      )}
      {result && <Alert color="blue" role="status">{result}</Alert>}
      <Group>
        <Button disabled={!p} loading={ordered.fetching} onClick={async () => {
          if (!plan) return;
          const r = await order({ contract: contractId, plan });
          const o = r.data?.orderPlanChange.order;
          if (o) {
            setResult(t('planChange.ordered', { status: o.status, hold: o.holdReason ?? '' }));
            setPlan(null);
            onDone();
          }
        }}>{t('planChange.confirm')}</Button>
      </Group>
    </Stack>
  );
}
