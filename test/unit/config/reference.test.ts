import { describe, expect, it } from 'vitest';
import { renderConfigurationReference } from '../../../src/config/reference.js';
import { ENV_VARIABLES } from '../../../src/config/variables.js';

describe('the configuration reference', () => {
  const lines = renderConfigurationReference().split('\n');
  const rows = lines.slice(2).map((line) =>
    line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );

  it('has the documented columns and one row of six cells per variable, in table order', () => {
    expect(lines[0]).toBe('| Variable | Type | Default | Required | On invalid | Description |');
    expect(rows).toHaveLength(ENV_VARIABLES.length);
    for (const row of rows) expect(row).toHaveLength(6);
    expect(rows.map((row) => /^`([A-Z0-9_]+)`/.exec(row[0] ?? '')?.[1])).toEqual(ENV_VARIABLES.map((v) => v.name));
  });

  it('derives the Default column from the typed defaults', () => {
    const byName = new Map(rows.map((row) => [/^`([A-Z0-9_]+)`/.exec(row[0] ?? '')?.[1], row]));
    expect(byName.get('TOKEN_ENGINE_GRPC_ADDR')?.[2]).toBe('`:9090`');
    expect(byName.get('TOKEN_ENGINE_REDIS_ADDR')?.[2]).toBe('`localhost:6379`');
    expect(byName.get('TOKEN_ENGINE_REFRESH_TOKEN_TTL')?.[2]).toBe('`720h`');
    expect(byName.get('TOKEN_ENGINE_SIGNING_ALG')?.[2]).toBe('`RS256`');
    expect(byName.get('TOKEN_ENGINE_GRPC_REFLECTION')?.[2]).toBe('true when TLS mode is disabled, else false');
    expect(byName.get('TOKEN_ENGINE_STATIC_CALLER_KEYS')?.[2]).toBe('—');
    expect(byName.get('TOKEN_ENGINE_TLS_MODE')?.[1]).toBe("`'mtls' \\| 'disabled'`");
  });

  it('marks secrets and names their _FILE variant', () => {
    for (const [i, v] of ENV_VARIABLES.entries()) {
      const [names = '', , , , , description = ''] = rows[i] ?? [];
      expect(names.includes(`\`${v.name}_FILE\``), v.name).toBe(v.secret);
      expect(description.startsWith('**Secret.**'), v.name).toBe(v.secret);
    }
  });
});
