// Vite resolves "zephr-session" through the package's "browser" export
// condition to its bundler build, which imports the .wasm file as a
// WebAssembly ES module. vite-plugin-wasm adds that ES module integration
// to Vite, and the build target keeps top-level await, which the
// integration needs (Chrome 89, Firefox 89 and Safari 15 support it).
import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

export default defineConfig({
  plugins: [wasm()],
  build: {
    target: "es2022",
  },
});
