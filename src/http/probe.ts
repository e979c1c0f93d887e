/** Where to reach a listener bound to `host`: the loopback for the "any" addresses. */
export function probeHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
