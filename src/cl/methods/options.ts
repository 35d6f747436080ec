/** Method options: defaults merged with user overrides, unknown keys and wrong types rejected with clear errors. */
export type OptionValue = number | boolean | string;

export function resolveOptions<T extends Record<string, OptionValue>>(method: string, defaults: T, given: Record<string, unknown> = {}): T {
  const out: Record<string, OptionValue> = { ...defaults };
  for (const [k, v] of Object.entries(given)) {
    if (!(k in defaults)) throw new Error(`method ${method}: unknown option '${k}' (known: ${Object.keys(defaults).join(', ')})`);
    const want = typeof defaults[k];
    if (typeof v !== want) throw new Error(`method ${method}: option '${k}' must be a ${want}, got ${JSON.stringify(v)}`);
    if (want === 'number' && !Number.isFinite(v as number)) throw new Error(`method ${method}: option '${k}' must be finite`);
    out[k] = v as OptionValue;
  }
  return out as T;
}
