import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The edge serves dist/ under a strict CSP (script-src 'self'; style-src 'self'): everything is
// emitted as files, nothing inlined, so assetsInlineLimit 0 and no inline module-preload script.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
