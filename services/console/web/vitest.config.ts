import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Unit tests of the web app's logic and components (jsdom); the browser tests are in tests/.
export default defineConfig({
  plugins: [react()],
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
