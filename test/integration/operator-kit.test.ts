/**
 * The operator kit cannot rot silently: the alert rules pass promtool's check and unit
 * tests, every alert has a firing and a quiet case and a runbook, and every metric a rule
 * or a dashboard panel queries is one the running service exports.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApp, type TestApp } from '../support/app.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RULES = join(ROOT, 'deploy', 'prometheus', 'alerts.yaml');
const RULE_TESTS = join(ROOT, 'deploy', 'prometheus', 'alerts.test.yaml');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'token-engine.json');
const OPERATIONS = join(ROOT, 'doc', 'OPERATIONS.md');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface RuleTest {
  alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
}

const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));

/** Metric names a PromQL expression reads (recording-rule names included). */
function metricNames(expr: string): string[] {
  const found = expr.match(/\b(?:token_engine[a-z0-9_:]*|nodejs_[a-z0-9_]+|process_[a-z0-9_]+)\b/g) ?? [];
  return [...new Set(found)];
}

/** Every expression of every panel of a Grafana dashboard. */
function dashboardExprs(dashboard: { panels: { targets?: { expr: string }[]; panels?: unknown[] }[] }): string[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** The names in `exprs` that are neither exported by the service nor recorded by a rule. */
function unknownNames(exprs: readonly string[], exported: ReadonlySet<string>): string[] {
  return [...new Set(exprs.flatMap(metricNames))].filter((n) => !exported.has(n) && !recorded.has(n)).sort();
}

let t: TestApp;
let exported: Set<string>;

beforeAll(async () => {
  t = await startTestApp({ TOKEN_ENGINE_STORE: 'memory' });
  await t.client.ok('IssueToken', { tenant_id: t.tenantId, sub: 'operator-kit' });
  const text = await (await fetch(`${t.httpBase}/metrics`)).text();
  // Every family is declared with `# TYPE`, samples or not; histograms add their series.
  exported = new Set();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    exported.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
  }
});

afterAll(async () => {
  await t.stop();
});

describe('deploy/prometheus/alerts.yaml', () => {
  it('passes promtool check rules and its unit tests (promtool test rules)', () => {
    expect(execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' })).toContain('SUCCESS');
    expect(execFileSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8' })).toContain('SUCCESS');
  });

  it('has a firing and a quiet unit test for every alert', () => {
    const cases = (parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: RuleTest[] }).tests.flatMap(
      (c) => c.alert_rule_test ?? [],
    );
    for (const { alert } of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} has no firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} has no quiet case`,
      ).toBe(true);
    }
  });

  it('links every alert to its runbook in doc/OPERATIONS.md', () => {
    const anchors = new Set(
      [...readFileSync(OPERATIONS, 'utf8').matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const { alert, annotations } of alerts) {
      expect(annotations?.['runbook_url'], alert).toBe(`doc/OPERATIONS.md#${alert.toLowerCase()}`);
      expect(anchors.has(alert.toLowerCase()), `doc/OPERATIONS.md has no "${alert}" runbook heading`).toBe(true);
    }
  });

  it('reads only metrics the service exports', () => {
    expect(
      unknownNames(
        rules.map((r) => r.expr),
        exported,
      ),
    ).toEqual([]);
  });
});

describe('deploy/grafana/token-engine.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Parameters<typeof dashboardExprs>[0];

  it('queries only metrics the service exports', () => {
    const exprs = dashboardExprs(dashboard);
    expect(exprs.length).toBeGreaterThan(20);
    expect(unknownNames(exprs, exported)).toEqual([]);
  });

  it('would fail on a misspelt metric name in a panel', () => {
    const misspelt = JSON.parse(
      JSON.stringify(dashboard).replace('token_engine_tokens_issued_total', 'token_engine_token_issued_total'),
    );
    expect(unknownNames(dashboardExprs(misspelt), exported)).toEqual(['token_engine_token_issued_total']);
  });
});
