// Objects keyed by what users send (metric names, params, tags) must not reach Object.prototype:
// `constructor` would find a function, and assigning `__proto__` would replace the prototype
// instead of adding a metric, which then vanishes from an acknowledged batch.

/** A constant lookup table with no prototype: only its own keys are in it. */
export function table<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** `obj[key] = value` for any key: `__proto__` becomes a property like any other name. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
