/** Entry: TanStack Query and the Connect transport around the app. */
import { TransportProvider } from '@connectrpc/connect-query';
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { isLostConnection } from './connection.js';
import { isUnauthenticated } from './errors.js';
import { stopLive } from './live.js';
import { getSession, setSession } from './session.js';
import { transport } from './transport.js';
import './styles.css';

const queryClient = new QueryClient({
  queryCache: new QueryCache({
    // A session that ended (expired, signed out elsewhere) sends the user back to sign in.
    onError: (err) => {
      if (isUnauthenticated(err) && getSession() !== null) {
        stopLive();
        setSession(null);
      }
    },
  }),
  defaultOptions: {
    queries: {
      retry: (count, err) => isLostConnection(err) && count < 30,
      retryDelay: (n) => Math.min(500 * 2 ** n, 5000),
      refetchOnWindowFocus: false,
      // Always try: a failed call is what shows the lost-connection banner (and the retry above
      // is what clears it), rather than queries silently pausing while the browser is offline.
      networkMode: 'always',
    },
    mutations: { retry: false, networkMode: 'always' },
  },
});

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <TransportProvider transport={transport}>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </TransportProvider>
    </StrictMode>,
  );
}
