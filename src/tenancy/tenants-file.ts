/**
 * Extra tenants from TOKEN_ENGINE_TENANTS_PATH (doc/OPERATIONS.md, "Tenants"). The default tenant always comes
 * from TOKEN_ENGINE_ISSUER / TOKEN_ENGINE_AUDIENCE; the file adds more:
 *
 * ```yaml
 * version: 1
 * tenants:
 *   - id: acme
 *     issuer: https://auth.acme.example
 *     audience: acme-api
 *     access_token_ttl: 10m      # optional, Go duration; default TOKEN_ENGINE_ACCESS_TOKEN_TTL
 *     refresh_token_ttl: 168h    # optional; default TOKEN_ENGINE_REFRESH_TOKEN_TTL
 *     signing_alg: ES256         # optional: RS256 | ES256 | EdDSA; default TOKEN_ENGINE_SIGNING_ALG
 *     api_key_token_ttl: 2m      # optional; default TOKEN_ENGINE_API_KEY_TOKEN_TTL
 * ```
 */
import * as z from 'zod';
import { describeSigningAlgs, SIGNING_ALGS, type SigningAlg } from '../keys/algorithms.js';
import { parseDuration } from '../config/duration.js';
import { ConfigFileError, formatIssue, parseYaml, readConfigFile } from '../config/yaml-file.js';

/** One tenant as the file describes it (durations in ms, optional fields undefined). */
export interface TenantDefinition {
  readonly id: string;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlMs?: number | undefined;
  readonly refreshTokenTtlMs?: number | undefined;
  readonly signingAlg?: SigningAlg | undefined;
  readonly apiKeyTokenTtlMs?: number | undefined;
}

export class TenantsFileError extends ConfigFileError {
  override readonly name = 'TenantsFileError';
}

const nonBlank = z.string({ error: 'must be a string' }).refine((s) => s.trim() !== '', { error: 'must not be empty' });
const duration = z
  .string({ error: 'must be a duration such as 15m or 720h' })
  .refine((s) => (parseDuration(s) ?? 0) > 0, { error: 'must be a positive duration such as 15m or 720h' })
  .optional();

const tenantSchema = z.strictObject({
  id: nonBlank.refine((s) => Buffer.byteLength(s, 'utf8') <= 256, { error: 'must be at most 256 bytes' }),
  issuer: nonBlank,
  audience: nonBlank,
  access_token_ttl: duration,
  refresh_token_ttl: duration,
  signing_alg: z.enum(SIGNING_ALGS, { error: `must be ${describeSigningAlgs()}` }).optional(),
  api_key_token_ttl: duration,
});

const fileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  tenants: z.array(tenantSchema, { error: 'must be a list' }),
});

/** Parses the tenants file; throws TenantsFileError listing every problem. */
export function parseTenantsFile(text: string, source: string): TenantDefinition[] {
  const heading = `tenants file ${source} is invalid:`;
  const yaml = parseYaml(text);
  if (!yaml.ok) throw new TenantsFileError(heading, yaml.problems);
  const parsed = fileSchema.safeParse(yaml.data);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => formatIssue(issue));
  const tenants = parsed.success ? parsed.data.tenants : [];
  const seen = new Set<string>();
  tenants.forEach((t, i) => {
    if (seen.has(t.id)) problems.push(`tenants[${i}].id: duplicate tenant ${JSON.stringify(t.id)}`);
    seen.add(t.id);
    const access = t.access_token_ttl ? parseDuration(t.access_token_ttl) : undefined;
    const refresh = t.refresh_token_ttl ? parseDuration(t.refresh_token_ttl) : undefined;
    if (access !== undefined && refresh !== undefined && access >= refresh) {
      problems.push(`tenants[${i}]: refresh_token_ttl must be longer than access_token_ttl`);
    }
  });
  if (problems.length > 0) throw new TenantsFileError(heading, problems);
  return tenants.map((t) => ({
    id: t.id,
    issuer: t.issuer,
    audience: t.audience,
    accessTokenTtlMs: t.access_token_ttl ? parseDuration(t.access_token_ttl) : undefined,
    refreshTokenTtlMs: t.refresh_token_ttl ? parseDuration(t.refresh_token_ttl) : undefined,
    signingAlg: t.signing_alg,
    ...(t.api_key_token_ttl ? { apiKeyTokenTtlMs: parseDuration(t.api_key_token_ttl) } : {}),
  }));
}

/** Reads and parses the tenants file at `path`. */
export async function loadTenantsFile(path: string): Promise<TenantDefinition[]> {
  const text = await readConfigFile(
    path,
    (heading, problems, cause) => new TenantsFileError(heading, problems, { cause }),
    'tenants file',
  );
  return parseTenantsFile(text, path);
}
