/** host:port values: the two listen addresses, the Redis address and lists of Redis nodes. */
import type { HostPort } from './types.js';
import { invalid, ok, type ValueType } from './value-types.js';

/** What an empty listen host means: every IPv4 interface. */
export const ANY_HOST = '0.0.0.0';
/** What an empty Redis host means. */
export const LOCAL_HOST = 'localhost';

/**
 * Splits `host:port`, `:port` or `[ipv6]:port`. Returns undefined when it cannot be a
 * usable address; port 0 only when `allowPortZero` (listeners bound by tests).
 */
function splitHostPort(value: string, emptyHost: string, allowPortZero: boolean): HostPort | undefined {
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0 || value[end + 1] !== ':') return undefined;
    host = value.slice(1, end);
    portText = value.slice(end + 2);
    if (!host.includes(':')) return undefined;
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    // An IPv6 address needs brackets, or the port is ambiguous.
    if (host.includes(':')) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText) || /[\s/[\]@]/.test(host)) return undefined;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return undefined;
  return { host: host === '' ? emptyHost : host, port };
}

/** `host:port` as written in the environment; `emptyHost` is written as nothing. */
function formatHostPort({ host, port }: HostPort, emptyHost?: string): string {
  const written = host === emptyHost ? '' : host.includes(':') ? `[${host}]` : host;
  return `${written}:${port}`;
}

/** A listen address; an empty host listens on {@link ANY_HOST}, port 0 picks a free port. */
export const listenAddress: ValueType<HostPort> = {
  describe: 'host:port',
  parse(value, ctx) {
    const address = splitHostPort(value, ANY_HOST, true);
    if (address !== undefined) return ok(address);
    return invalid(`${ctx.name} must be host:port, :port or [ipv6]:port with a port from 0 to 65535, got ${ctx.quote(value)}`);
  },
  format: (address) => formatHostPort(address, ANY_HOST),
};

/** The address of a server to connect to; an empty host is {@link LOCAL_HOST}. */
export const hostPort: ValueType<HostPort> = {
  describe: 'host:port',
  parse(value, ctx) {
    const address = splitHostPort(value, LOCAL_HOST, false);
    return address === undefined ? invalid(`${ctx.name} must be host:port or [ipv6]:port, got ${ctx.quote(value)}`) : ok(address);
  },
  format: (address) => formatHostPort(address),
};

/** A comma-separated list of server addresses; spaces around entries are dropped. */
export const hostPortList: ValueType<readonly HostPort[]> = {
  describe: 'host:port[,host:port…]',
  parse(value, ctx) {
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) return invalid(`${ctx.name} must list at least one host:port`);
    const nodes: HostPort[] = [];
    const problems: string[] = [];
    for (const entry of entries) {
      const node = splitHostPort(entry, LOCAL_HOST, false);
      if (node === undefined) problems.push(`${ctx.name} entry ${ctx.quote(entry)} must be host:port or [ipv6]:port`);
      else nodes.push(node);
    }
    return problems.length > 0 ? invalid(...problems) : ok(nodes);
  },
  format: (nodes) => nodes.map((node) => formatHostPort(node)).join(','),
};
