import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` proxies the API to a gateway started by scripts/run (QUXIANG_HTTP_PORT, default 8080).
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      '/v1': `http://127.0.0.1:${process.env.QUXIANG_HTTP_PORT || 8080}`,
    },
  },
})
