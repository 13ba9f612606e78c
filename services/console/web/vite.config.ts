import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into the console's Python package, which serves it (no CDN, no Node at run time).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../src/lodestone_console/static/app",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/auth": "http://127.0.0.1:8000", "/v1": "http://127.0.0.1:8000" } },
});
