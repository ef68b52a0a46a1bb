import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed operations from the API's exported schema; every operation is also written to
// persisted-documents.json (hash → text), which `tsunagi serve` accepts by hash.
const config: CodegenConfig = {
  schema: '../graphql/schema.graphql',
  documents: ['src/**/*.tsx', 'src/**/*.ts', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      config: { enumsAsTypes: true, scalars: { DateTime: 'string', JSON: 'unknown' } },
      presetConfig: { persistedDocuments: { hashAlgorithm: 'sha256' }, fragmentMasking: false },
    },
  },
};
export default config;
