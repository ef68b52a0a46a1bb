// Plugins kept from the console: upload a new version (the component file, its world, and
// the manifest — limits, config, allowed hosts — checked as JSON here and as a manifest by
// the server, which names the wrong field), edit the manifest of a version not in force,
// and roll a hook back to the version in force
// before, at once, after a confirmation that says so. Activation stays a request a second
// person approves (Plugins).
import { Button, Card, FileInput, Group, Select, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { ApiError } from '../ui/errors';

const Upload = graphql(`
  mutation PluginUpload($input: PluginUploadInput!) { pluginUpload(input: $input) { id version digest } }
`);
const SetManifest = graphql(`
  mutation PluginSetManifest($versionId: ID!, $manifest: JSON!) { pluginVersionSetManifest(input: { versionId: $versionId, manifest: $manifest }) { id manifest manifestRev } }
`);
const Rollback = graphql(`
  mutation PluginRollback($hook: String!, $reason: String!) { pluginRollback(input: { hook: $hook, reason: $reason }) { status versionId } }
`);

/** JSON bodies are at most 8 MiB: base64 makes a component a third larger. */
const MAX_BYTES = 6 * 1024 * 1024;

function base64(bytes: ArrayBuffer): string {
  const u8 = new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

export function UploadVersion({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [res, upload] = useMutation(Upload);
  const [f, setF] = useState({ name: '', version: '', world: 'pricing', description: '', manifest: '{\n  "config": {}\n}' });
  const [file, setFile] = useState<File | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async () => {
    setLocal(null);
    setDone(null);
    let manifest: unknown;
    try {
      manifest = f.manifest.trim() ? JSON.parse(f.manifest) : null;
    } catch (e) {
      setLocal(t('plugins.manifestNotJson', { why: (e as Error).message }));
      return;
    }
    if (!file) { setLocal(t('plugins.fileNeeded')); return; }
    if (file.size > MAX_BYTES) { setLocal(t('plugins.fileTooBig', { mb: (file.size / 1048576).toFixed(1) })); return; }
    const wasmBase64 = base64(await file.arrayBuffer());
    const r = await upload({ input: { name: f.name, version: f.version, world: f.world, description: f.description || null, manifest, wasmBase64 } });
    if (r.data) {
      setDone(t('plugins.uploaded', { version: r.data.pluginUpload.version, digest: r.data.pluginUpload.digest.slice(0, 12) }));
      setFile(null);
      onDone();
    }
  };
  return (
    <Card withBorder data-testid="plugin-upload">
      <Title order={3} size="h4" mb="xs">{t('plugins.upload')}</Title>
      <Stack gap="xs">
        <Group grow align="start">
          <TextInput label={t('plugins.name')} description={t('plugins.nameHint')} value={f.name} onChange={(e) => setF({ ...f, name: e.currentTarget.value })} />
          <TextInput label={t('plugins.version')} placeholder="1.0.0" value={f.version} onChange={(e) => setF({ ...f, version: e.currentTarget.value })} />
          <Select label={t('plugins.world')} allowDeselect={false} data={['pricing', 'commission', 'channel']} value={f.world} onChange={(v) => setF({ ...f, world: v ?? 'pricing' })} />
        </Group>
        <TextInput label={t('plugins.description')} value={f.description} onChange={(e) => setF({ ...f, description: e.currentTarget.value })} />
        <FileInput label={t('plugins.file')} accept=".wasm,application/wasm" value={file} onChange={setFile} clearable />
        <Textarea label={t('plugins.manifest')} description={t('plugins.manifestHint')} value={f.manifest} onChange={(e) => setF({ ...f, manifest: e.currentTarget.value })} autosize minRows={3} styles={{ input: { fontFamily: 'monospace' } }} />
        {local && <Text c="red.9" size="sm" role="alert">{local}</Text>}
        <ApiError error={res.error} />
        <Group>
          <Button loading={res.fetching} onClick={() => void submit()}>{t('plugins.uploadButton')}</Button>
          {done && <Text role="status" size="sm">{done}</Text>}
        </Group>
      </Stack>
    </Card>
  );
}

/** A version's manifest edited in place (not for a version in force: upload it anew). */
export function ManifestEditor({ version, onDone }: { version: { id: string; manifest: unknown; manifestRev: number }; onDone: () => void }) {
  const { t } = useTranslation();
  const [res, save] = useMutation(SetManifest);
  const [text, setText] = useState<string | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  if (text === null) {
    return (
      <>
        <Button size="compact-sm" variant="default" ml="xs" onClick={() => { setText(JSON.stringify(version.manifest, null, 2)); setSaved(null); }}>{t('plugins.editManifest')}</Button>
        {saved !== null && <Text size="xs" role="status">{t('plugins.manifestSaved', { rev: saved })}</Text>}
      </>
    );
  }
  return (
    <Stack gap={4} mt={4} data-testid="manifest-editor">
      <Textarea autoFocus label={t('plugins.manifest')} value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={3} styles={{ input: { fontFamily: 'monospace' } }} />
      {local && <Text c="red.9" size="sm" role="alert">{local}</Text>}
      <ApiError error={res.error} />
      <Group>
        <Button size="xs" loading={res.fetching} onClick={async () => {
          setLocal(null);
          let manifest: unknown;
          try { manifest = JSON.parse(text); } catch (e) { setLocal(t('plugins.manifestNotJson', { why: (e as Error).message })); return; }
          const r = await save({ versionId: version.id, manifest });
          if (r.data) { setSaved(r.data.pluginVersionSetManifest.manifestRev); setText(null); onDone(); }
        }}>{t('plugins.saveManifest')}</Button>
        <Button size="xs" variant="default" onClick={() => { setText(null); setLocal(null); }}>{t('common.cancel')}</Button>
      </Group>
    </Stack>
  );
}

export function RollbackHook({ hook, onDone }: { hook: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [res, rollback] = useMutation(Rollback);
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  if (!open) return <Button size="compact-xs" variant="outline" color="red.9" ml="xs" onClick={() => setOpen(true)}>{t('plugins.rollback')}</Button>;
  return (
    <Stack gap={4} mt={4} role="alertdialog" aria-label={t('plugins.rollbackEffect', { hook })}>
      <Text size="sm">{t('plugins.rollbackEffect', { hook })}</Text>
      <Group align="end">
        <TextInput autoFocus label={t('plugins.reason')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
        <Button size="xs" color="red.9" variant="outline" disabled={!reason.trim()} loading={res.fetching} onClick={async () => {
          const r = await rollback({ hook, reason });
          if (r.data) { setOpen(false); setReason(''); onDone(); }
        }}>{t('plugins.rollbackYes')}</Button>
        <Button size="xs" variant="default" onClick={() => setOpen(false)}>{t('common.cancel')}</Button>
      </Group>
      <ApiError error={res.error} />
    </Stack>
  );
}
