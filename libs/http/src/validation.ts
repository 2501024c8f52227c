import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiExtension, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError } from '@simfleet/domain';

type SchemaObject = Record<string, unknown>;

/** OpenAPI 3.0 schema of a zod schema: the same source of truth validates and documents. */
/** A zod string schema that trims its input (`.trim()`: an overwrite check turning '  a  ' into 'a'). */
const trims = (schema: z.core.$ZodType): boolean =>
  schema._zod.def.type === 'string' &&
  (schema._zod.def.checks ?? []).some((check) => {
    const def = check._zod.def as { check: string; tx?: (value: string) => unknown };
    return def.check === 'overwrite' && def.tx?.('  a  ') === 'a';
  });

export const openApiSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject => {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
    // A trimmed string with a minimum length refuses a blank value (spaces only): the document says so.
    override: ({ zodSchema, jsonSchema }) => {
      if (io === 'input' && trims(zodSchema) && Number(jsonSchema.minLength ?? 0) >= 1 && jsonSchema.pattern === undefined)
        jsonSchema.pattern = '\\S';
    },
  }) as SchemaObject;
  delete json.$schema;
  return nullableEnums(json);
};

/**
 * OpenAPI 3.0: `nullable: true` does not add null to an `enum`; a nullable enum must list null itself,
 * or a validator refuses the null the API returns.
 */
function nullableEnums<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableEnums) as T;
  if (!node || typeof node !== 'object') return node;
  const object = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, nullableEnums(value)])) as Record<string, unknown>;
  if (object.nullable === true && Array.isArray(object.enum) && !object.enum.includes(null)) object.enum = [...object.enum, null];
  return object as T;
}

/** One field per problem; an unknown key is named itself (not its parent object). */
export const zodIssuesToFields = (issues: z.core.$ZodIssue[], root = '(body)') =>
  issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: [...issue.path.map(String), key].join('/'),
          message: root === '(query)' && !issue.path.length ? 'unknown query parameter' : 'unknown field',
        }))
      : [{ field: issue.path.map(String).join('/') || root, message: issue.message }],
  );

/** Validates and converts a request part with a zod schema; failures are a 422 listing every field. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  private readonly schema: z.ZodType;

  constructor(
    schema: T,
    private readonly part: 'body' | 'query' = 'body',
  ) {
    // A query parameter the operation does not take is refused on every route, named, with the other problems.
    this.schema = part === 'query' && schema instanceof z.ZodObject ? schema.strict() : schema;
  }

  transform(value: unknown): z.infer<T> {
    // A body is what the client sent: none (undefined), or a JSON value — `null` stays null, it is not `{}`.
    const result = this.schema.safeParse(this.part === 'body' ? value : (value ?? {}));
    if (result.success) return result.data as z.infer<T>;
    const fields = zodIssuesToFields(result.error.issues, this.part === 'body' ? '(body)' : '(query)');
    throw DomainError.validation(
      `The ${this.part === 'body' ? 'request body' : 'query string'} is not valid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
      fields,
    );
  }
}

/** Documents a JSON body; `maxBytes` is the largest body the operation accepts (enforced before it is read). */
export const ApiJsonBody = (schema: z.ZodType, description?: string, options: { maxBytes?: number; required?: boolean } = {}) =>
  applyDecorators(
    ApiBody({ schema: openApiSchema(schema), description, required: options.required ?? !schema.safeParse(undefined).success }),
    ...(options.maxBytes ? [ApiExtension('x-max-body-bytes', options.maxBytes)] : []),
  );

/** Documents each property of a zod object schema as a query parameter. */
export function ApiQueryFrom(schema: z.ZodObject) {
  const json = openApiSchema(schema) as { properties?: Record<string, SchemaObject>; required?: string[] };
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: (json.required ?? []).includes(name), schema: property, description: property.description as string | undefined }),
    ),
  );
}

const FIRST_INSTANT = Date.UTC(1, 0, 1);
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * An ISO 8601 date-time with a UTC offset, between 0001-01-01 and 9999-12-31 (UTC): the instants both
 * JavaScript and PostgreSQL represent (year 0000 is valid ISO 8601 but not a PostgreSQL timestamp).
 */
export const instantInput = (description: string) =>
  z.iso
    .datetime({
      offset: true,
      error: (issue) => (issue.input === undefined ? 'required' : 'an ISO 8601 date-time with a time zone, e.g. 2026-11-28T10:00:00Z'),
    })
    .max(40, { error: 'an ISO 8601 date-time of at most 40 characters' })
    .refine(
      (value) => {
        const at = Date.parse(value);
        // Not a date at all: the format check above already says so.
        return Number.isNaN(at) || (at >= FIRST_INSTANT && at <= LAST_INSTANT);
      },
      { error: 'a date-time between 0001-01-01 and 9999-12-31' },
    )
    .describe(`${description} (ISO 8601, between 0001-01-01 and 9999-12-31)`);

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size (1–1000, default 100)'),
  cursor: z.string().min(1).max(500).optional().describe('`nextCursor` of the previous page'),
};
