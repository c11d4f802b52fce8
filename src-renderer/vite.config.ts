import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard bundle: served by the orchestrator from dist/renderer (same origin as the API) and
// loaded by the Electron shell from disk, hence the relative base.
export default defineConfig({
  // import.meta.dirname: no node: imports in src-renderer (lint boundary); vite injects it.
  root: import.meta.dirname,
  base: "./",
  plugins: [react()],
  build: {
    outDir: `${import.meta.dirname}/../dist/renderer`,
    emptyOutDir: true,
    // Everything in files: the CSP allows no inline script or style.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 1200,
  },
});
