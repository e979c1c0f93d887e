/**
 * The container's HEALTHCHECK (`node dist/healthcheck.js`): GET /healthz/live on the HTTP
 * address the service itself is configured with, so it follows TOKEN_ENGINE_HTTP_ADDR
 * instead of assuming port 8080. Exit 0 when it answers 200, 1 otherwise. A process entry
 * like main.ts; it reads the environment through the configuration loader only.
 */
import { loadConfig } from './config/config.js';
import { probeHost } from './http/probe.js';

async function probe(): Promise<number> {
  try {
    const { httpAddr } = loadConfig(process.env).config;
    const res = await fetch(`http://${probeHost(httpAddr.host)}:${httpAddr.port}/healthz/live`, {
      signal: AbortSignal.timeout(2_000),
    });
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

process.exitCode = await probe();
