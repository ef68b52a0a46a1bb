// One way to show an API error: field errors name the field and why (`extensions.field`,
// `extensions.reason`), everything else its message.
import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CombinedError } from 'urql';

export function ApiError({ error }: { error?: CombinedError | null }) {
  const { t } = useTranslation();
  if (!error) return null;
  const lines = error.graphQLErrors.length
    ? error.graphQLErrors.flatMap((e) => {
        const fields = e.extensions?.fields as { field: string; reason: string }[] | undefined;
        return fields?.length ? fields.map((f) => `${f.field}: ${f.reason}`) : [e.message];
      })
    : [error.message];
  return (
    <Alert color="red" role="alert">
      {lines.map((l) => (
        <div key={l}>{t('errors.generic', { message: l })}</div>
      ))}
    </Alert>
  );
}

/** Whether the API refused for lack of permission. */
export function isForbidden(error?: CombinedError | null): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN');
}
