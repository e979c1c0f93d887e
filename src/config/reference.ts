/**
 * The configuration reference: a Markdown table of every variable, rendered from the table
 * in `variables.ts` (doc/CONFIGURATION.md holds it between generated-section markers).
 */
import { type EnvVariable, fileVariable } from './variable.js';
import { ENV_VARIABLES } from './variables.js';

const REQUIRED: Readonly<Record<EnvVariable['required'], string>> = { always: 'yes', mtls: 'in mtls mode', no: 'no' };
const ON_INVALID: Readonly<Record<EnvVariable['onInvalid'], string>> = { fatal: 'fatal', warn: 'warning, default' };

/** A table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

const code = (text: string): string => `\`${text}\``;

function row(v: EnvVariable): string {
  const names = v.secret ? `${code(v.name)}<br>${code(fileVariable(v.name))}` : code(v.name);
  const fallback = v.default === null ? '—' : v.default.includes(' ') ? v.default : code(v.default);
  const description = v.secret ? `**Secret.** ${v.description}` : v.description;
  // A warning with nothing to fall back to (a removed variable) is just a warning.
  const onInvalid = v.onInvalid === 'warn' && v.default === null ? 'warning' : ON_INVALID[v.onInvalid];
  return `| ${[names, code(v.type), fallback, REQUIRED[v.required], onInvalid, description].map(cell).join(' | ')} |`;
}

/** The Markdown table of every configuration variable, in table order. */
export function renderConfigurationReference(): string {
  const header = ['| Variable | Type | Default | Required | On invalid | Description |', '|---|---|---|---|---|---|'];
  return [...header, ...ENV_VARIABLES.map(row)].join('\n');
}
