// The GraphQL client: every operation goes by its persisted hash (built from the typed
// documents), with the in-memory access token; a request refused as UNAUTHENTICATED renews
// the token once through the refresh cookie and is sent again. Subscriptions (live alerts)
// go over one WebSocket (/graphql/ws, graphql-transport-ws), also by hash.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { persistedExchange } from '@urql/exchange-persisted';
import { createClient as createWsClient } from 'graphql-ws';
import { accessToken, refresh } from './session';

function wsClient() {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createWsClient({
    url: `${proto}//${window.location.host}/graphql/ws`,
    // Read at each (re)connection: a renewed token is used from then on.
    connectionParams: () => ({ Authorization: `Bearer ${accessToken() ?? ''}` }),
    lazy: true,
    retryAttempts: 20,
    shouldRetry: () => true,
  });
}

export function makeClient(onSignedOut: () => void): Client {
  const ws = wsClient();
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
        enableForSubscriptions: true,
        // POST like every other request: GET /graphql is GraphiQL, and bodies stay out of
        // access logs.
        preferGetForPersistedQueries: false,
        generateHash: (_, document) =>
          Promise.resolve((document as unknown as { __meta__: { hash: string } }).__meta__.hash),
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
