// Stock added in batches from the inventory page: SIMs (ICCID, IMSI, optional PIN and PUK),
// eSIM profiles (ICCID, IMSI, activation code) and devices (IMEI, model), one per line with
// the fields separated by commas or tabs (as pasted from a spreadsheet). The server checks
// the whole batch first and names the wrong field of the wrong line (`input.items[1].imsi`);
// nothing is added then, and the text stays for correction.
import { Button, Group, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { ApiError } from '../ui/errors';

const SimsAdd = graphql(`
  mutation SimsAdd($items: [SimItem!]!) { simsAdd(input: { items: $items }) { added } }
`);
const EsimsAdd = graphql(`
  mutation EsimProfilesAdd($items: [EsimItem!]!) { esimProfilesAdd(input: { items: $items }) { added } }
`);
const DevicesAdd = graphql(`
  mutation DevicesAdd($items: [DeviceItem!]!) { devicesAdd(input: { items: $items }) { added } }
`);

/** The fields of each non-empty line, split on commas or tabs. */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/[,\t]/).map((f) => f.trim()));
}

function useBatch(onDone: () => void) {
  const [text, setText] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const finish = (message: string) => {
    setDone(message);
    setText('');
    onDone();
  };
  return { text, setText: (v: string) => { setText(v); setDone(null); }, done, finish, items: rows(text) };
}

function Form({ label, hint, batch, fetching, error, submit }: {
  label: string; hint: string; batch: ReturnType<typeof useBatch>; fetching: boolean;
  error: Parameters<typeof ApiError>[0]['error']; submit: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" mb="md">
      <Textarea label={label} description={hint} value={batch.text} onChange={(e) => batch.setText(e.currentTarget.value)} autosize minRows={2} maxRows={8} styles={{ input: { fontFamily: 'monospace' } }} />
      <Group>
        <Button disabled={batch.items.length === 0} loading={fetching} onClick={submit}>{t('inventory.addCount', { count: batch.items.length })}</Button>
        {batch.done && <Text role="status" size="sm">{batch.done}</Text>}
      </Group>
      <ApiError error={error} />
    </Stack>
  );
}

export function AddSims({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [res, add] = useMutation(SimsAdd);
  const b = useBatch(onDone);
  return <Form label={t('inventory.addSims')} hint={t('inventory.addSimsHint')} batch={b} fetching={res.fetching} error={res.error} submit={async () => {
    const items = b.items.map(([iccid = '', imsi = '', pin, puk]) => ({ iccid, imsi, pin: pin || null, puk: puk || null }));
    const r = await add({ items });
    if (r.data) b.finish(t('inventory.added', { count: r.data.simsAdd.added }));
  }} />;
}

export function AddEsims({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [res, add] = useMutation(EsimsAdd);
  const b = useBatch(onDone);
  return <Form label={t('inventory.addEsims')} hint={t('inventory.addEsimsHint')} batch={b} fetching={res.fetching} error={res.error} submit={async () => {
    const items = b.items.map(([iccid = '', imsi = '', activationCode = '']) => ({ iccid, imsi, activationCode }));
    const r = await add({ items });
    if (r.data) b.finish(t('inventory.added', { count: r.data.esimProfilesAdd.added }));
  }} />;
}

export function AddDevices({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [res, add] = useMutation(DevicesAdd);
  const b = useBatch(onDone);
  return <Form label={t('inventory.addDevices')} hint={t('inventory.addDevicesHint')} batch={b} fetching={res.fetching} error={res.error} submit={async () => {
    const items = b.items.map(([imei = '', ...model]) => ({ imei, model: model.join(', ') }));
    const r = await add({ items });
    if (r.data) b.finish(t('inventory.added', { count: r.data.devicesAdd.added }));
  }} />;
}
