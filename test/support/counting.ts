/**
 * A stand-in for a store that records the name of every method called on it, in order,
 * and forwards the call: tests count store calls without mocking the store.
 */
export function counting<T extends object>(target: T): { store: T; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(target, {
    get(object, prop, receiver) {
      const value = Reflect.get(object, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return { store, calls };
}
