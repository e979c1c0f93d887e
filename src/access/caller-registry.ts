/**
 * The caller registry: which caller identity (client-certificate CN or static-key identity)
 * may act on which tenants, and at what rate (doc/OPERATIONS.md, "TLS and callers" and
 * "Rate limits"). Read once at start-up and validated strictly — unlike upstream's
 * non-strict yaml.v3 decode, an unknown key is an error, because a misspelt
 * `permitted_tenants` would otherwise silently deny a caller (and a misspelt `rate_limit`
 * silently leave one unlimited).
 */
import * as z from 'zod';
import { ConfigFileError, formatIssue, formatPath, parseYaml, readConfigFile } from '../config/yaml-file.js';
import { defaultBurst, MAX_BURST, MAX_RATE_PER_SECOND, MIN_RATE_PER_SECOND, type RateLimitSetting } from './rate-limits.js';

/** Answers whether a caller may act on a tenant. */
export interface CallerRegistry {
  /** True when `identity` is listed and `tenantId` is one of its permitted tenants. */
  isPermitted(identity: string, tenantId: string): boolean;
  /** True when `identity` has an entry. */
  lists(identity: string): boolean;
  /** The `rate_limit` of the identity's entry; undefined when it has none (or no entry). */
  rateLimitOf(identity: string): RateLimitSetting | undefined;
  /** True only for {@link ALLOW_ALL}; start-up warns loudly about it. */
  readonly allowsEveryone: boolean;
}

/** Every caller may act on every tenant: TLS disabled and no registry file configured. */
export const ALLOW_ALL: CallerRegistry = Object.freeze({
  allowsEveryone: true,
  isPermitted: (): boolean => true,
  lists: (): boolean => false,
  rateLimitOf: (): undefined => undefined,
});

/** The registry file could not be read or is invalid; lists every problem found. */
export class CallerRegistryError extends ConfigFileError {
  override readonly name = 'CallerRegistryError';
}

const RATE_RANGE = `0 (unlimited) or between ${MIN_RATE_PER_SECOND} and ${MAX_RATE_PER_SECOND}`;

/** `rate_limit: { per_second: 100, burst: 200 }`; `per_second: 0` exempts the caller from the default. */
const rateLimitSchema = z
  .strictObject(
    {
      per_second: z
        .number({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a number (calls per second)') })
        .refine((n) => n === 0 || (n >= MIN_RATE_PER_SECOND && n <= MAX_RATE_PER_SECOND), { error: `must be ${RATE_RANGE}` }),
      burst: z
        .number({ error: 'must be a whole number of calls' })
        .int({ error: 'must be a whole number of calls' })
        .min(1, { error: 'must be at least 1' })
        .max(MAX_BURST, { error: `must be at most ${MAX_BURST}` })
        .optional(),
    },
    { error: 'must be a mapping with `per_second` and optionally `burst`' },
  )
  .refine((limit) => limit.per_second > 0 || limit.burst === undefined, {
    error: 'burst has no meaning when per_second is 0 (unlimited); remove it',
    path: ['burst'],
  });

const callerSchema = z.strictObject(
  {
    identity: z
      .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
      // Kept verbatim (CNs are compared verbatim), but a blank identity can never match.
      .refine((s) => s.trim() !== '', { error: 'must not be empty or blank' }),
    permitted_tenants: z
      .array(z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }), {
        error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of tenant ids'),
      })
      .min(1, { error: 'must list at least one tenant' }),
    rate_limit: rateLimitSchema.optional(),
  },
  { error: 'must be a mapping with `identity`, `permitted_tenants` and optionally `rate_limit`' },
);

const registrySchema = z.strictObject(
  {
    version: z.literal(1, {
      error: (iss) => (iss.input === undefined ? 'is required and must be 1' : `must be 1, got ${describe(iss.input)}`),
    }),
    callers: z.array(callerSchema, {
      error: (iss) => (iss.input === undefined ? 'is required (it may be an empty list)' : 'must be a list'),
    }),
  },
  { error: 'the document must be a mapping with `version` and `callers`' },
);

type RegistryDocument = z.infer<typeof registrySchema>;

/**
 * Parses and validates registry YAML. `source` names the text in error messages (usually
 * the file path). Throws {@link CallerRegistryError} listing every problem.
 */
export function parseCallerRegistry(text: string, source: string): CallerRegistry {
  const heading = `caller registry ${source} is invalid:`;
  const yaml = parseYaml(text);
  if (!yaml.ok) throw new CallerRegistryError(heading, yaml.problems);
  const data = yaml.data;

  const parsed = registrySchema.safeParse(data);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => describeIssue(issue, data))),
    ...duplicateIdentities(data),
  ];
  if (!parsed.success || problems.length > 0) throw new CallerRegistryError(heading, problems);
  return buildRegistry(parsed.data);
}

/** Reads and parses the registry file at `path`. */
export async function loadCallerRegistry(path: string): Promise<CallerRegistry> {
  const text = await readConfigFile(
    path,
    (heading, problems, cause) => new CallerRegistryError(heading, problems, { cause }),
    'caller registry',
  );
  return parseCallerRegistry(text, path);
}

function buildRegistry(doc: RegistryDocument): CallerRegistry {
  const permitted = new Map<string, ReadonlySet<string>>(doc.callers.map((c) => [c.identity, new Set(c.permitted_tenants)]));
  const limits = new Map<string, RateLimitSetting>();
  for (const { identity, rate_limit: limit } of doc.callers) {
    if (limit)
      limits.set(identity, Object.freeze({ perSecond: limit.per_second, burst: limit.burst ?? defaultBurst(limit.per_second) }));
  }
  return Object.freeze({
    allowsEveryone: false,
    isPermitted: (identity: string, tenantId: string): boolean =>
      tenantId !== '' && (permitted.get(identity)?.has(tenantId) ?? false),
    lists: (identity: string): boolean => permitted.has(identity),
    rateLimitOf: (identity: string): RateLimitSetting | undefined => limits.get(identity),
  });
}

/** Looks at the raw document so duplicates are reported alongside every other problem. */
function duplicateIdentities(data: unknown): string[] {
  const callers = (data as { callers?: unknown } | null)?.callers;
  if (!Array.isArray(callers)) return [];
  const firstIndex = new Map<string, number>();
  const problems: string[] = [];
  callers.forEach((entry: unknown, i) => {
    const identity = (entry as { identity?: unknown } | null)?.identity;
    if (typeof identity !== 'string' || identity.trim() === '') return;
    const first = firstIndex.get(identity);
    if (first === undefined) firstIndex.set(identity, i);
    else
      problems.push(
        `callers[${i}] (identity ${JSON.stringify(identity)}).identity: duplicate, first listed at callers[${first}]`,
      );
  });
  return problems;
}

/** `callers[1] (identity "ops-console").permitted_tenants[0]: must not be empty`. */
function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  return formatIssue(issue, (path) => {
    const [head, index, ...rest] = path;
    if (head === 'callers' && typeof index === 'number')
      return `callers[${index}]${identityNote(data, index)}${formatPath(rest)}`;
    return formatPath(path);
  });
}

function identityNote(data: unknown, index: number): string {
  const callers = (data as { callers?: unknown } | null)?.callers;
  const entry = Array.isArray(callers) ? (callers[index] as { identity?: unknown } | null) : undefined;
  const identity = entry && typeof entry === 'object' ? entry.identity : undefined;
  return typeof identity === 'string' && identity.trim() !== '' ? ` (identity ${JSON.stringify(identity)})` : '';
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : (JSON.stringify(value) ?? String(value));
}
