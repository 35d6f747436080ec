/**
 * A small command-line parser: positionals, `--flag value`, `--flag=value`, boolean `--flag`, repeated flags.
 * Each command declares its flags, so a typo is an error that lists the valid ones.
 */
export interface FlagSpec {
  /** 'string' takes a value, 'boolean' does not, 'list' takes a value and may repeat. */
  type: 'string' | 'boolean' | 'list';
  help: string;
}

export interface Parsed {
  positionals: string[];
  flags: Map<string, string | boolean | string[]>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | boolean | string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
      throw new UsageError(`mulki ${command}: unknown option --${name}${known ? ` (options: ${known})` : ''}`);
    }
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`mulki ${command}: --${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let v: string | undefined;
    if (eq >= 0) v = a.slice(eq + 1);
    else {
      v = argv[++i];
      if (v === undefined) throw new UsageError(`mulki ${command}: --${name} needs a value`);
    }
    if (s.type === 'list') flags.set(name, [...((flags.get(name) as string[] | undefined) ?? []), v]);
    else flags.set(name, v);
  }
  return { positionals, flags };
}

export class UsageError extends Error {}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function num(p: Parsed, name: string, command: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`mulki ${command}: --${name} must be a number, got '${v}'`);
  return n;
}

export function bool(p: Parsed, name: string): boolean {
  return p.flags.get(name) === true;
}

export function list(p: Parsed, name: string): string[] {
  return (p.flags.get(name) as string[] | undefined) ?? [];
}

export function helpText(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec).map(([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ' VALUE'}`.padEnd(30) + s.help).join('\n');
}
