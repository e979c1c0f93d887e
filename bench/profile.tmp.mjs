import { spawn } from 'node:child_process';
import { freePort, sleep, runNode } from './lib.mjs';
const mode = process.argv[2];
const tenantId = `prof-${Date.now()}`;
const [g, h] = [await freePort(), await freePort()];
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', 'dist/main.js'], { env: { PATH: process.env.PATH, TOKEN_ENGINE_ISSUER: tenantId, TOKEN_ENGINE_AUDIENCE: 'a', TOKEN_ENGINE_TLS_MODE: 'disabled', TOKEN_ENGINE_STATIC_CALLER_KEYS: 'bench-key=b', TOKEN_ENGINE_REDIS_URL: 'redis://127.0.0.1:16400', TOKEN_ENGINE_SIGNING_ALG: process.argv[3] ?? 'ES256', TOKEN_ENGINE_GRPC_ADDR: `127.0.0.1:${g}`, TOKEN_ENGINE_HTTP_ADDR: `127.0.0.1:${h}`, TOKEN_ENGINE_LOG_LEVEL: 'warn' }, stdio: 'inherit' });
for (;;) { try { if ((await fetch(`http://127.0.0.1:${h}/healthz/ready`)).ok) break; } catch {} await sleep(50); }
const r = await runNode('bench/loadgen.mjs', [JSON.stringify({ target: `127.0.0.1:${g}`, mode, concurrency: 64, durationMs: 4000, maxCalls: 1e9, tenantId, apiKey: 'bench-key' })]);
console.log(mode, Math.round(r.rps));
await new Promise((res) => { child.once('exit', res); child.kill('SIGINT'); });
