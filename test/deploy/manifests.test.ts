import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseCallerRegistry } from '../../src/access/caller-registry.js';
import { ENV_VARIABLES, KNOWN_NAMES, loadConfig } from '../../src/config/config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const COMPOSE = join(ROOT, 'docker-compose.yaml');
const KNOWN_VARIABLES = KNOWN_NAMES;

// Loose shapes of the Kubernetes objects the checks read; parsing is done by `yaml`.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked by path; each check asserts what it reads.
type Obj = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every document of a (multi-document) YAML file; any syntax error fails with the file name. */
function documents(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`${relative(ROOT, file)}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return list.map((doc) => doc.toJS() as Obj).filter((d) => d !== null);
}

const K8S_FILES = yamlFiles(join(DEPLOY, 'k8s'));
const objects = (file: string): Obj[] => documents(join(DEPLOY, 'k8s', file));
const one = (file: string, kind: string): Obj => {
  const found = objects(file).filter((o) => o['kind'] === kind);
  expect(found, `${file} has one ${kind}`).toHaveLength(1);
  return found[0] as Obj;
};

const deployment = (): Obj => one('deployment.yaml', 'Deployment');
const podSpec = (): Obj => deployment()['spec']['template']['spec'];
const container = (): Obj => podSpec()['containers'][0];
const configMaps = (): Obj[] => objects('configmap.yaml').filter((o) => o['kind'] === 'ConfigMap');
const envConfigMap = (): Obj => configMaps().find((c) => c['metadata']['name'] === 'token-engine-env') as Obj;

/** A valid value for each Secret key the Deployment reads (the committed Secrets are placeholders). */
const TEST_SECRET_VALUES: Record<string, string> = {
  'key-encryption-key': randomBytes(32).toString('base64'),
  'redis-password': 'test-password',
  'static-caller-keys': 'test-key=test-caller',
};

/** The environment the container starts with: envFrom ConfigMaps, then env (secrets replaced by test values). */
function containerEnv(env: Obj[] = container()['env'] ?? []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of container()['envFrom'] ?? []) {
    const cm = configMaps().find((c) => c['metadata']['name'] === source['configMapRef']?.['name']);
    expect(cm, `envFrom ConfigMap ${source['configMapRef']?.['name']} exists`).toBeDefined();
    Object.assign(out, cm?.['data']);
  }
  for (const entry of env) {
    const secretKey = entry['valueFrom']?.['secretKeyRef']?.['key'];
    out[entry['name']] = secretKey !== undefined ? (TEST_SECRET_VALUES[secretKey] ?? '') : String(entry['value'] ?? '');
  }
  return out;
}

describe('deploy/ YAML', () => {
  it('has the expected files, each parsing as (multi-document) YAML', () => {
    const names = K8S_FILES.map((f) => basename(f));
    expect(names).toEqual(
      expect.arrayContaining([
        'deployment.yaml',
        'service.yaml',
        'pdb.yaml',
        'configmap.yaml',
        'secret.example.yaml',
        'networkpolicy.yaml',
        'redis-sentinel.example.yaml',
      ]),
    );
    for (const file of [...yamlFiles(DEPLOY), ...(existsSync(COMPOSE) ? [COMPOSE] : [])]) {
      expect(documents(file).length, relative(ROOT, file)).toBeGreaterThan(0);
    }
  });

  it('gives every Kubernetes object an apiVersion, a kind and a name', () => {
    for (const file of K8S_FILES) {
      for (const o of documents(file)) {
        expect(o['apiVersion'], basename(file)).toMatch(/^[a-z0-9.]+(\/v\d\w*)?$|^v1$/);
        expect(o['kind'], basename(file)).toMatch(/^[A-Z]\w+$/);
        if (o['kind'] !== 'Kustomization') expect(o['metadata']?.['name'], basename(file)).toMatch(/^[a-z0-9-]+$/);
      }
    }
  });

  it('lists only real resources in the kustomization, never the examples', () => {
    const k = one('kustomization.yaml', 'Kustomization');
    for (const resource of k['resources'] as string[]) {
      expect(existsSync(join(DEPLOY, 'k8s', resource)), resource).toBe(true);
      expect(resource).not.toContain('example');
    }
  });

  it('uses only configuration variables that exist (src/config/variables.ts)', () => {
    const files = [...yamlFiles(DEPLOY)];
    if (existsSync(COMPOSE)) files.push(COMPOSE);
    const used = new Map<string, string>();
    for (const file of files) {
      for (const name of readFileSync(file, 'utf8').match(/\b(?:TOKEN_ENGINE|OTEL)_[A-Z0-9_]+\b/g) ?? []) {
        used.set(name, relative(ROOT, file));
      }
    }
    expect(used.size).toBeGreaterThan(10);
    const unknown = [...used].filter(([name]) => !KNOWN_VARIABLES.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(unknown).toEqual([]);
  });
});

describe('caller registry', () => {
  it('deploy/caller-registry.yaml is a valid registry (version 1, callers with permitted tenants)', () => {
    const text = readFileSync(join(DEPLOY, 'caller-registry.yaml'), 'utf8');
    const registry = parseCallerRegistry(text, 'deploy/caller-registry.yaml');
    const doc = documents(join(DEPLOY, 'caller-registry.yaml'))[0] as Obj;
    expect(doc['version']).toBe(1);
    expect(doc['callers'].length).toBeGreaterThan(0);
    const issuer = envConfigMap()['data']['TOKEN_ENGINE_ISSUER'];
    for (const caller of doc['callers'] as { identity: string; permitted_tenants: string[] }[]) {
      expect(caller.permitted_tenants).toContain(issuer);
      expect(registry.isPermitted(caller.identity, issuer)).toBe(true);
    }
  });

  it('is the same document in the ConfigMap the Deployment mounts, at the configured path', () => {
    const callers = configMaps().find((c) => c['metadata']['name'] === 'token-engine-callers') as Obj;
    const text = callers['data']['caller-registry.yaml'] as string;
    parseCallerRegistry(text, 'configmap token-engine-callers');
    expect(documents(join(DEPLOY, 'caller-registry.yaml'))[0]).toEqual(parseAllDocuments(text)[0]?.toJS());
    const mount = (container()['volumeMounts'] as Obj[]).find((m) => m['name'] === 'callers');
    const volume = (podSpec()['volumes'] as Obj[]).find((v) => v['name'] === 'callers');
    expect(volume?.['configMap']?.['name']).toBe('token-engine-callers');
    expect(envConfigMap()['data']['TOKEN_ENGINE_CALLER_REGISTRY_PATH']).toBe(`${mount?.['mountPath']}/caller-registry.yaml`);
  });
});

describe('deploy/k8s/deployment.yaml', () => {
  it('runs 3 replicas whose pod labels the selector matches', () => {
    const d = deployment();
    expect(d['spec']['replicas']).toBe(3);
    expect(d['spec']['template']['metadata']['labels']).toMatchObject(d['spec']['selector']['matchLabels']);
  });

  it('probes readiness and liveness over HTTP on 8080, with a startup probe', () => {
    const c = container();
    expect(c['ports']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'grpc', containerPort: 9090 }),
        expect.objectContaining({ name: 'http', containerPort: 8080 }),
      ]),
    );
    const http = (c['ports'] as Obj[]).find((p) => p['containerPort'] === 8080)?.['name'];
    const port = (probe: Obj): unknown => probe['httpGet']?.['port'];
    expect(c['readinessProbe']['httpGet']['path']).toBe('/healthz/ready');
    expect(c['livenessProbe']['httpGet']['path']).toBe('/healthz/live');
    expect(c['startupProbe']['httpGet']['path']).toMatch(/^\/healthz\/(live|ready)$/);
    for (const probe of [c['readinessProbe'], c['livenessProbe'], c['startupProbe']]) expect([8080, http]).toContain(port(probe));
    // The Redis start-up retry (30 s) fits in the startup probe's budget.
    expect(c['startupProbe']['periodSeconds'] * c['startupProbe']['failureThreshold']).toBeGreaterThanOrEqual(30);
  });

  it('uses no native gRPC probe while in mTLS mode (the kubelet cannot present a client certificate)', () => {
    expect(envConfigMap()['data']['TOKEN_ENGINE_TLS_MODE']).toBe('mtls');
    const c = container();
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect(c[probe]).not.toHaveProperty('grpc');
    expect(readFileSync(join(DEPLOY, 'k8s', 'deployment.yaml'), 'utf8')).toMatch(
      /native `grpc:` probe[\s\S]*client\s+(?:#\s*)?certificate/,
    );
  });

  it('has a plaintext example whose readiness is the gRPC health probe on 9090', () => {
    const patch = one('plaintext.example.yaml', 'Deployment');
    const c = patch['spec']['template']['spec']['containers'][0] as Obj;
    expect(c['readinessProbe']['grpc']).toEqual({ port: 9090 });
    expect(c['readinessProbe']).not.toHaveProperty('httpGet');
    const env = containerEnv([...(container()['env'] as Obj[]), ...(c['env'] as Obj[])]);
    expect(env['TOKEN_ENGINE_TLS_MODE']).toBe('disabled');
    const { warnings } = loadConfig(env);
    expect(warnings).toEqual([]);
    // Strategic-merge deletions name list items by their merge keys (mountPath, name).
    const baseMounts = (container()['volumeMounts'] as Obj[]).map((m) => m['mountPath']);
    for (const m of c['volumeMounts'] as Obj[]) expect(baseMounts).toContain(m['mountPath']);
    const baseVolumes = (podSpec()['volumes'] as Obj[]).map((v) => v['name']);
    for (const v of patch['spec']['template']['spec']['volumes'] as Obj[]) expect(baseVolumes).toContain(v['name']);
  });

  it('stops gracefully: preStop sleeps 5 s with node, the grace period covers it and the 30 s shutdown', () => {
    expect(podSpec()['terminationGracePeriodSeconds']).toBe(45);
    expect(container()['lifecycle']['preStop']).toEqual({ exec: { command: ['node', '-e', 'setTimeout(()=>{},5000)'] } });
    expect(podSpec()['terminationGracePeriodSeconds']).toBeGreaterThanOrEqual(5 + 30);
  });

  it('sets resource requests and limits', () => {
    const r = container()['resources'];
    for (const kind of ['requests', 'limits']) expect(r[kind]).toHaveProperty('memory');
    expect(r['requests']).toHaveProperty('cpu');
  });

  it('runs as a numeric non-root user, read-only, without privilege escalation or capabilities', () => {
    const pod = podSpec()['securityContext'];
    expect(pod['runAsNonRoot']).toBe(true);
    expect(pod['runAsUser']).toBeGreaterThan(0);
    const c = container()['securityContext'];
    expect(c).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(podSpec()['enableServiceLinks']).toBe(false);
  });

  it('takes secrets only through secretKeyRef, and every reference resolves in deploy/k8s', () => {
    const secrets = objects('secret.example.yaml').filter((o) => o['kind'] === 'Secret');
    const secretKeys = (name: string): string[] =>
      Object.keys(secrets.find((s) => s['metadata']['name'] === name)?.['stringData'] ?? {});
    const env = container()['env'] as Obj[];
    for (const name of ['TOKEN_ENGINE_KEY_ENCRYPTION_KEY', 'TOKEN_ENGINE_REDIS_PASSWORD']) {
      const ref = env.find((e) => e['name'] === name)?.['valueFrom']?.['secretKeyRef'];
      expect(ref, name).toBeDefined();
      expect(secretKeys(ref['name'])).toContain(ref['key']);
    }
    for (const e of env) expect(e, `${e['name']} is not a literal secret`).not.toHaveProperty('value');
    // Nothing secret in the ConfigMap.
    for (const name of Object.keys(envConfigMap()['data'])) {
      expect(ENV_VARIABLES.find((v) => v.name === name)?.secret, name).toBe(false);
    }
    for (const volume of podSpec()['volumes'] as Obj[]) {
      if (volume['secret']) expect(secrets.map((s) => s['metadata']['name'])).toContain(volume['secret']['secretName']);
      if (volume['configMap']) expect(configMaps().map((c) => c['metadata']['name'])).toContain(volume['configMap']['name']);
    }
    const volumes = new Set((podSpec()['volumes'] as Obj[]).map((v) => v['name']));
    for (const mount of container()['volumeMounts'] as Obj[]) expect(volumes.has(mount['name'])).toBe(true);
    const mounted = (name: string): string =>
      (container()['volumeMounts'] as Obj[]).find((m) => m['name'] === name)?.['mountPath'];
    const data = envConfigMap()['data'];
    expect(data['TOKEN_ENGINE_TLS_CERT_FILE']).toBe(`${mounted('tls')}/tls.crt`);
    expect(data['TOKEN_ENGINE_TLS_KEY_FILE']).toBe(`${mounted('tls')}/tls.key`);
    expect(data['TOKEN_ENGINE_TLS_CA_FILE']).toBe(`${mounted('client-ca')}/ca.crt`);
  });

  it('starts with a configuration the service accepts without a single warning', () => {
    const env = containerEnv();
    const { config, warnings } = loadConfig(env);
    expect(warnings).toEqual([]);
    expect(config.tlsMode).toBe('mtls');
    expect(config.grpcAddr.port).toBe(9090);
    expect(config.httpAddr.port).toBe(8080);
    expect(config.keyEncryptionKey).toBeDefined();
  });
});

describe('the other manifests', () => {
  const podLabels = (): Obj => deployment()['spec']['template']['metadata']['labels'];

  it('Service: grpc 9090 and http 8080, selecting the Deployment pods', () => {
    const s = one('service.yaml', 'Service');
    expect(podLabels()).toMatchObject(s['spec']['selector']);
    expect((s['spec']['ports'] as Obj[]).map((p) => [p['name'], p['port']])).toEqual([
      ['grpc', 9090],
      ['http', 8080],
    ]);
  });

  it('PodDisruptionBudget: minAvailable 2 of the Deployment pods', () => {
    const pdb = one('pdb.yaml', 'PodDisruptionBudget');
    expect(pdb['spec']['minAvailable']).toBe(2);
    expect(podLabels()).toMatchObject(pdb['spec']['selector']['matchLabels']);
  });

  it('NetworkPolicy: 9090 from labelled clients, 8080 from monitoring, egress to Redis and DNS', () => {
    const np = one('networkpolicy.yaml', 'NetworkPolicy');
    expect(podLabels()).toMatchObject(np['spec']['podSelector']['matchLabels']);
    expect(np['spec']['policyTypes']).toEqual(['Ingress', 'Egress']);
    const ingress = np['spec']['ingress'] as Obj[];
    const rule = (port: number): Obj | undefined => ingress.find((r) => (r['ports'] as Obj[]).some((p) => p['port'] === port));
    expect(rule(9090)?.['from'][0]['podSelector']['matchLabels']).toEqual({ 'token-engine-client': 'true' });
    expect(rule(8080)?.['from'][0]['namespaceSelector']['matchLabels']).toEqual({ 'kubernetes.io/metadata.name': 'monitoring' });
    expect(rule(8080)?.['from'][0]).not.toHaveProperty('podSelector');
    const egressPorts = (np['spec']['egress'] as Obj[]).flatMap((r) =>
      (r['ports'] as Obj[]).map((p) => `${p['port']}/${p['protocol']}`),
    );
    expect(egressPorts).toEqual(expect.arrayContaining(['6379/TCP', '53/UDP', '53/TCP']));
  });

  it('commits Secrets only as placeholder examples', () => {
    for (const file of K8S_FILES) {
      const secrets = documents(file).filter((o) => o['kind'] === 'Secret');
      if (secrets.length === 0) continue;
      expect(basename(file)).toMatch(/\.example\.yaml$/);
      for (const s of secrets) {
        expect(s, 'no base64 `data`, so nothing is hidden').not.toHaveProperty('data');
        for (const [key, value] of Object.entries(s['stringData'] as Record<string, string>))
          expect(value, key).toMatch(/REPLACE_ME/);
      }
    }
  });

  it('marks the Redis Sentinel StatefulSet as an example that matches the service configuration', () => {
    const file = join(DEPLOY, 'k8s', 'redis-sentinel.example.yaml');
    expect(readFileSync(file, 'utf8')).toMatch(/^# EXAMPLE ONLY/);
    const set = one('redis-sentinel.example.yaml', 'StatefulSet');
    const service = one('redis-sentinel.example.yaml', 'Service');
    const data = envConfigMap()['data'];
    const sentinels = (data['TOKEN_ENGINE_REDIS_SENTINELS'] as string).split(',');
    expect(sentinels).toHaveLength(set['spec']['replicas']);
    for (const [i, address] of sentinels.entries()) {
      expect(address).toBe(`${set['metadata']['name']}-${i}.${service['metadata']['name']}:26379`);
    }
    expect(readFileSync(file, 'utf8')).toContain(`sentinel monitor ${data['TOKEN_ENGINE_REDIS_SENTINEL_MASTER']} `);
    // The NetworkPolicy's egress rule selects these pods.
    const np = one('networkpolicy.yaml', 'NetworkPolicy');
    const redisRule = (np['spec']['egress'] as Obj[]).find((r) => (r['ports'] as Obj[]).some((p) => p['port'] === 6379));
    expect(set['spec']['template']['metadata']['labels']).toMatchObject(redisRule?.['to'][0]['podSelector']['matchLabels']);
  });

  it('gives the service the password the example Sentinels require, from the Secret that sets it', () => {
    const text = readFileSync(join(DEPLOY, 'k8s', 'redis-sentinel.example.yaml'), 'utf8');
    const sentinelConf = text.slice(text.indexOf('echo "port 26379"'), text.indexOf('/conf/sentinel.conf'));
    expect(sentinelConf).toMatch(/echo "requirepass \$\{REDIS_PASSWORD\}"/);
    const init = one('redis-sentinel.example.yaml', 'StatefulSet')['spec']['template']['spec']['initContainers'][0];
    const source = (init['env'] as Obj[]).find((e) => e['name'] === 'REDIS_PASSWORD')?.['valueFrom']['secretKeyRef'];
    const env = (container()['env'] as Obj[]).find((e) => e['name'] === 'TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD');
    expect(env?.['valueFrom']['secretKeyRef']).toEqual(source);
    expect(containerEnv()['TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD']).toBe(TEST_SECRET_VALUES['redis-password']);
  });
});

describe('docker-compose.yaml', () => {
  const compose = (): Obj => {
    expect(
      existsSync(COMPOSE),
      'docker-compose.yaml is missing at the repository root (it is expected next to the Dockerfile)',
    ).toBe(true);
    return documents(COMPOSE)[0] as Obj;
  };

  it('runs Redis with a healthcheck', () => {
    const redis = compose()['services']?.['redis'];
    expect(redis, 'docker-compose.yaml has no `redis` service').toBeDefined();
    expect(redis['healthcheck']?.['test'], 'the redis service has no healthcheck test').toBeDefined();
  });

  it('starts token-engine after Redis is healthy and gives it 60 s to stop', () => {
    const te = compose()['services']?.['token-engine'];
    expect(te, 'docker-compose.yaml has no `token-engine` service').toBeDefined();
    expect(te['depends_on']?.['redis']?.['condition']).toBe('service_healthy');
    expect(te['stop_grace_period']).toBe('60s');
  });
});
