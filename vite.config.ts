import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer: built into dist/renderer, served by the Electron app:// protocol and the host.
export default defineConfig({
  root: 'renderer',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
