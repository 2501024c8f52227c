import fc from 'fast-check';

// Request generation from the OpenAPI document's JSON schemas (the OpenAPI 3.0 subset zod emits): valid
// values, and values each breaking one rule. Deterministic: every draw takes the run's seed.

type Json = Record<string, any>;

export const SEED = 20261128;

/** Draws `count` values of an arbitrary, reproducibly (the same seed and path give the same values). */
export function draw<T>(arbitrary: fc.Arbitrary<T>, count: number, salt: string): T[] {
  let hash = SEED;
  for (const c of salt) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
  return fc.sample(arbitrary, { seed: hash, numRuns: count });
}

export class SchemaGenerator {
  constructor(private readonly document: Json) {}

  resolve(schema: Json | undefined): Json {
    let node = schema ?? {};
    for (let i = 0; node.$ref && i < 10; i++) {
      node = String(node.$ref)
        .replace(/^#\//, '')
        .split('/')
        .reduce<Json>((n, part) => n?.[part], this.document);
    }
    return node ?? {};
  }

  /** Values the schema accepts (as far as JSON schema can tell: domain rules such as a Luhn digit are the server's). */
  valid(raw: Json | undefined, depth = 0): fc.Arbitrary<unknown> {
    const schema = this.resolve(raw);
    const base = this.validOf(schema, depth);
    return schema.nullable ? fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
  }

  private validOf(schema: Json, depth: number): fc.Arbitrary<unknown> {
    if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]).filter((v) => v !== null));
    if (schema.const !== undefined) return fc.constant(schema.const);
    for (const key of ['anyOf', 'oneOf'] as const) {
      if (Array.isArray(schema[key]) && schema[key].length) return fc.oneof(...(schema[key] as Json[]).map((s) => this.valid(s, depth)));
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length) return this.valid(schema.allOf[0], depth);
    switch (schema.type) {
      case 'string':
        return this.validString(schema);
      case 'integer':
        return fc.integer({
          min: Math.max(Number(schema.minimum ?? -1000), Number.MIN_SAFE_INTEGER),
          max: Math.min(Number(schema.maximum ?? 1000), Number.MAX_SAFE_INTEGER),
        });
      case 'number':
        return fc.double({ min: Number(schema.minimum ?? -1000), max: Number(schema.maximum ?? 1000), noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(depth > 4 ? fc.constant(null) : this.valid(schema.items, depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
        });
      case 'object':
      default: {
        if (!schema.properties && schema.type !== 'object') return fc.constant('x');
        const properties = (schema.properties ?? {}) as Record<string, Json>;
        if (depth > 4 || !Object.keys(properties).length) return fc.constant({});
        const record = Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, this.valid(s, depth + 1)]));
        return fc.record(record, { requiredKeys: (schema.required ?? []).filter((k: string) => k in properties) });
      }
    }
  }

  private validString(schema: Json): fc.Arbitrary<string> {
    const max = Math.min(schema.maxLength ?? 24, 24);
    const min = Math.min(schema.minLength ?? 0, max);
    if (schema.format === 'date-time')
      return fc
        .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    // A literal loopback address: nothing to resolve, nothing called (a webhook URL guard refuses it with a 422).
    if (schema.format === 'uri' || schema.format === 'url') return fc.constant('http://127.0.0.1:9/hook');
    if (schema.format === 'email') return fc.constant('ops@example.com');
    if (schema.pattern) {
      const length = (s: string) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity);
      return fc.stringMatching(new RegExp(schema.pattern)).filter(length);
    }
    return fc.string({ minLength: Math.max(min, 1), maxLength: Math.max(max, 1), unit: 'grapheme-ascii' }).filter((s) => s.trim().length > 0);
  }

  /** One value of the schema, reproducibly. */
  sample(schema: Json | undefined, salt: string): unknown {
    return draw(this.valid(schema), 1, salt)[0];
  }
}

/** Values no schema of a field accepts, with the rule each breaks (for messages). */
export const HOSTILE_STRINGS: Array<[string, string]> = [
  ['a NUL character', 'ab\u0000cd'],
  ['an unpaired surrogate', 'ab\ud800cd'],
  ['a lone low surrogate', '\udc00'],
  ['a megabyte', 'x'.repeat(1_000_000)],
];

export const EXTREME_NUMBERS: Array<[string, unknown]> = [
  ['a huge number', 1e308],
  ['a huge negative number', -1e308],
  ['beyond the safe integers', 2 ** 53 + 2],
  ['a fraction', 0.5],
  ['a string', 'twelve'],
];

export const EXTREME_INSTANTS = ['0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-02-30T00:00:00Z', 'yesterday'];

export const BAD_CURSORS = [
  'WzEsMiwzXQ',
  'AA',
  Buffer.from('\u0000').toString('base64url'),
  '!!!',
  'x'.repeat(600),
  Buffer.from('-1').toString('base64url'),
];

/** `[[[…]]]`, nested deeper than any body may be. */
export const deeplyNested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};
