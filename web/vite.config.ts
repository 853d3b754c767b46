import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The web page: built into web/dist, served by the shim at `/` (and through nginx in the containers). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One small bundle; the QR encoder is the largest part.
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev:web` against a service on :5000 (npm start).
    proxy: {
      '/api': 'http://127.0.0.1:5000',
      '/ws': { target: 'ws://127.0.0.1:5000', ws: true },
    },
  },
});
