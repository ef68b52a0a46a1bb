// Changing the catalog from the console, made hard to get wrong: a new plan (draft, with its
// first price version), a new price version for a plan, a new option, and a plan's activation
// or retirement. Each form shows what it will do and asks for a second click before it
// does it; the server checks every field and names the wrong one.
import { Button, Card, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { formats, formatMoney, formatTime, zonedTime } from '../i18n';
import { Confirm } from '../ui/Confirm';
import { ApiError } from '../ui/errors';

const PlanCreate = graphql(`
  mutation PlanCreate($input: PlanCreateInput!) { planCreate(input: $input) { plan { id code status } } }
`);
const PriceAdd = graphql(`
  mutation PlanPriceAdd($input: PlanPriceAddInput!) { planPriceAdd(input: $input) { price { id validFrom applies } } }
`);
const OptionCreate = graphql(`
  mutation OptionCreate($input: OptionCreateInput!) { optionCreate(input: $input) { option { id code } } }
`);
const Activate = graphql(`
  mutation PlanActivate($id: ID!, $version: Int!) { planActivate(input: { id: $id, version: $version }) { plan { id status version } } }
`);
const Retire = graphql(`
  mutation PlanRetire($id: ID!, $version: Int!) { planRetire(input: { id: $id, version: $version }) { plan { id status version } } }
`);

type Price = { monthlyFee: number; dataMb: number; voiceMin: number; sms: number; overageDataPerGb: number; overageVoicePerMin: number; overageSms: number; validFrom: string; applies: string };
const EMPTY: Price = { monthlyFee: 0, dataMb: 0, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0, validFrom: '', applies: 'immediately' };
const NUMBERS = ['monthlyFee', 'dataMb', 'voiceMin', 'sms', 'overageDataPerGb', 'overageVoicePerMin', 'overageSms'] as const;

/** The price as the API takes it (an empty start means now). */
function toInput(p: Price) {
  return { ...p, validFrom: p.validFrom ? zonedTime(p.validFrom).toISOString() : null };
}

function PriceFields({ price, onChange, currency }: { price: Price; onChange: (p: Price) => void; currency: string }) {
  const { t } = useTranslation();
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }}>
      {NUMBERS.map((k) => (
        <NumberInput key={k} label={t(`catalog.field.${k}`, { currency })} min={0} allowDecimal={false} value={price[k]} onChange={(v) => onChange({ ...price, [k]: typeof v === 'number' ? v : 0 })} />
      ))}
      <TextInput type="datetime-local" label={t('catalog.field.validFrom', { zone: formats.timeZone })} value={price.validFrom} onChange={(e) => onChange({ ...price, validFrom: e.currentTarget.value })} />
      <Select label={t('catalog.applies')} allowDeselect={false} value={price.applies} onChange={(v) => onChange({ ...price, applies: v ?? 'immediately' })}
        data={[{ value: 'immediately', label: t('catalog.when.immediately') }, { value: 'next_term', label: t('catalog.when.next_term') }]} />
    </SimpleGrid>
  );
}

/** What a price version will do, in words, before it is saved. */
function PriceEffect({ price, currency }: { price: Price; currency: string }) {
  const { t } = useTranslation();
  const from = price.validFrom ? formatTime(zonedTime(price.validFrom).toISOString()) : t('catalog.now');
  return (
    <Text size="sm" role="status" data-testid="price-effect">
      {t('catalog.effect', { fee: formatMoney(price.monthlyFee, currency), data: price.dataMb, voice: price.voiceMin, sms: price.sms, from })}{' '}
      {t(`catalog.effectApplies.${price.applies}`)}
    </Text>
  );
}

export function NewPlan({ options, currency, onDone }: { options: { id: string; name: string }[]; currency: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [res, create] = useMutation(PlanCreate);
  const [plan, setPlan] = useState({ code: '', name: '', allowedOptionIds: [] as string[] });
  const [price, setPrice] = useState<Price>(EMPTY);
  const [review, setReview] = useState(false);
  return (
    <Card withBorder data-testid="new-plan">
      <Title order={3} size="h4" mb="xs">{t('catalog.newPlan')}</Title>
      <Stack gap="xs">
        <Group grow>
          <TextInput label={t('catalog.code')} value={plan.code} onChange={(e) => { setPlan({ ...plan, code: e.currentTarget.value }); setReview(false); }} />
          <TextInput label={t('catalog.name')} value={plan.name} onChange={(e) => { setPlan({ ...plan, name: e.currentTarget.value }); setReview(false); }} />
          <Select label={t('catalog.allowedOption')} clearable data={options.map((o) => ({ value: o.id, label: o.name }))} value={plan.allowedOptionIds[0] ?? null} onChange={(v) => setPlan({ ...plan, allowedOptionIds: v ? [v] : [] })} />
        </Group>
        <PriceFields price={price} onChange={(p) => { setPrice(p); setReview(false); }} currency={currency} />
        {review && <PriceEffect price={price} currency={currency} />}
        {review && <Text size="sm">{t('catalog.draftNote')}</Text>}
        <ApiError error={res.error} />
        <Group>
          {!review ? (
            <Button variant="outline" onClick={() => setReview(true)}>{t('catalog.review')}</Button>
          ) : (
            <Button loading={res.fetching} onClick={async () => {
              const r = await create({ input: { ...plan, price: toInput(price) } });
              if (r.data) { setPlan({ code: '', name: '', allowedOptionIds: [] }); setPrice(EMPTY); setReview(false); onDone(); }
            }}>{t('catalog.createPlan')}</Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}

export function NewPrice({ planId, currency, onDone }: { planId: string; currency: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [res, add] = useMutation(PriceAdd);
  const [open, setOpen] = useState(false);
  const [price, setPrice] = useState<Price>(EMPTY);
  const [review, setReview] = useState(false);
  if (!open) return <Button size="xs" variant="outline" mt="xs" onClick={() => setOpen(true)}>{t('catalog.newPrice')}</Button>;
  return (
    <Stack gap="xs" mt="xs" data-testid="new-price">
      <PriceFields price={price} onChange={(p) => { setPrice(p); setReview(false); }} currency={currency} />
      {review && <PriceEffect price={price} currency={currency} />}
      <ApiError error={res.error} />
      <Group>
        {!review ? (
          <Button size="xs" variant="outline" onClick={() => setReview(true)}>{t('catalog.review')}</Button>
        ) : (
          <Button size="xs" loading={res.fetching} onClick={async () => {
            const r = await add({ input: { planId, price: toInput(price) } });
            if (r.data) { setOpen(false); setPrice(EMPTY); setReview(false); onDone(); }
          }}>{t('catalog.addPrice')}</Button>
        )}
        <Button size="xs" variant="default" onClick={() => { setOpen(false); setReview(false); setPrice(EMPTY); }}>{t('common.cancel')}</Button>
      </Group>
    </Stack>
  );
}

export function PlanStatusActions({ plan, onDone }: { plan: { id: string; name: string; status: string; version: number }; onDone: () => void }) {
  const { t } = useTranslation();
  const [act, activate] = useMutation(Activate);
  const [ret, retire] = useMutation(Retire);
  const [confirm, setConfirm] = useState(false);
  if (plan.status === 'RETIRED') return null;
  const next = plan.status === 'DRAFT' ? 'activate' : 'retire';
  return (
    <Stack gap={4} mt="xs">
      {!confirm ? (
        <Group><Button size="xs" variant="outline" color={next === 'retire' ? 'red.9' : undefined} onClick={() => setConfirm(true)}>{t(`catalog.${next}`)}</Button></Group>
      ) : (
        <Confirm text={t(`catalog.${next}Effect`, { name: plan.name })} yes={t(`catalog.${next}Yes`)} danger={next === 'retire'} loading={act.fetching || ret.fetching} onCancel={() => setConfirm(false)} onYes={async () => {
          const vars = { id: plan.id, version: plan.version };
          const r = next === 'activate' ? await activate(vars) : await retire(vars);
          if (r.data) { setConfirm(false); onDone(); }
        }} />
      )}
      <ApiError error={act.error ?? ret.error} />
    </Stack>
  );
}

export function NewOption({ currency, onDone }: { currency: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [res, create] = useMutation(OptionCreate);
  const [o, setO] = useState({ code: '', name: '', monthlyFee: 0 });
  const [review, setReview] = useState(false);
  const edit = (x: typeof o) => { setO(x); setReview(false); };
  return (
    <form data-testid="new-option" onSubmit={async (e) => {
      e.preventDefault();
      if (!review) { setReview(true); return; }
      const r = await create({ input: o });
      if (r.data) { setO({ code: '', name: '', monthlyFee: 0 }); setReview(false); onDone(); }
    }}>
      <Group align="end" gap="xs" mt="sm">
        <TextInput label={t('catalog.code')} value={o.code} onChange={(e) => edit({ ...o, code: e.currentTarget.value })} />
        <TextInput label={t('catalog.name')} value={o.name} onChange={(e) => edit({ ...o, name: e.currentTarget.value })} />
        <NumberInput label={t('catalog.field.monthlyFee', { currency })} min={0} allowDecimal={false} value={o.monthlyFee} onChange={(v) => edit({ ...o, monthlyFee: typeof v === 'number' ? v : 0 })} />
        <Button type="submit" variant={review ? 'filled' : 'outline'} loading={res.fetching}>{review ? t('catalog.newOption') : t('catalog.review')}</Button>
      </Group>
      {review && <Text size="sm" role="status" data-testid="option-effect">{t('catalog.optionEffect', { name: o.name, code: o.code, fee: formatMoney(o.monthlyFee, currency) })}</Text>}
      <ApiError error={res.error} />
    </form>
  );
}
