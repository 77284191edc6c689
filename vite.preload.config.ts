import { defineConfig } from 'vite';

// The Electron preload runs sandboxed: it must be one CommonJS file that requires only 'electron'.
export default defineConfig({
  build: {
    outDir: 'dist/electron',
    emptyOutDir: false,
    minify: false,
    lib: { entry: 'electron/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
