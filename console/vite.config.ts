import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is served by `tsunagi serve` at /; in development, Vite proxies the API.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 900 },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8080', ws: true },
      '/auth': 'http://127.0.0.1:8080',
    },
  },
});
