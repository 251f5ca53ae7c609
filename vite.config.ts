import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Cross-origin isolation: SharedArrayBuffer and threaded WASM (tfjs-wasm threads, MuJoCo /mt) need it.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
});
