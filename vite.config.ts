import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { policyFor } from './src/cli/contentSecurityPolicy';

// Cross-origin isolation: SharedArrayBuffer and threaded WASM (tfjs-wasm threads, MuJoCo /mt) need it.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** `vite preview` (the production build) sends the Content-Security-Policy, per request. */
const contentSecurityPolicy: Plugin = {
  name: 'content-security-policy',
  configurePreviewServer(server) {
    server.middlewares.use((request, response, next) => {
      response.setHeader('Content-Security-Policy', policyFor(request.url ?? '/'));
      next();
    });
  },
};

export default defineConfig({
  plugins: [react(), contentSecurityPolicy],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
});
