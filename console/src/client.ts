// The GraphQL client: every operation goes by its persisted hash (built from the typed
// documents), with the in-memory access token; a request refused as UNAUTHENTICATED renews
// the token once through the refresh cookie and is sent again.
import { Client, cacheExchange, fetchExchange, mapExchange } from 'urql';
import { persistedExchange } from '@urql/exchange-persisted';
import { accessToken, refresh } from './session';

export function makeClient(onSignedOut: () => void): Client {
  return new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    fetchOptions: () => {
      const t = accessToken();
      const headers: Record<string, string> = {};
      if (t) headers.authorization = `Bearer ${t}`;
      return { headers };
    },
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error, operation) {
          const unauthenticated = error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
          if (unauthenticated && !operation.context.retried) {
            void refresh().then((ok) => {
              if (!ok) onSignedOut();
            });
          }
        },
      }),
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        // POST like every other request: GET /graphql is GraphiQL, and bodies stay out of
        // access logs.
        preferGetForPersistedQueries: false,
        generateHash: (_, document) =>
          Promise.resolve((document as unknown as { __meta__: { hash: string } }).__meta__.hash),
      }),
      fetchExchange,
    ],
  });
}
