/**
 * Builds the console renderer (src-renderer) into dist-renderer/, served by `cq console --web`
 * and loaded by the Electron app. Relative asset URLs work under both (custom protocol or HTTP).
 * No inline scripts or styles are emitted, so the strict CSP needs no exceptions.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(root, 'src-renderer'),
  base: './',
  plugins: [react()],
  build: {
    outDir: path.join(root, 'dist-renderer'),
    emptyOutDir: true,
    // Icons stay files: the CSP allows images from the page's own origin.
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
});
