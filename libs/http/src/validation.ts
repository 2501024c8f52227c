import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError } from '@simfleet/domain';

type SchemaObject = Record<string, unknown>;

/** OpenAPI 3.0 schema of a zod schema: the same source of truth validates and documents. */
export const openApiSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject => {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
  delete json.$schema;
  return json;
};

export const zodIssuesToFields = (issues: z.core.$ZodIssue[]) =>
  issues.map((issue) => ({ field: issue.path.map(String).join('/') || '(body)', message: issue.message }));

/** Validates and converts a request part with a zod schema; failures are a 422 listing every field. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(
    private readonly schema: T,
    private readonly part: 'body' | 'query' = 'body',
  ) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value ?? (this.part === 'body' ? undefined : {}));
    if (result.success) return result.data;
    const fields = zodIssuesToFields(result.error.issues);
    throw DomainError.validation(
      `The ${this.part === 'body' ? 'request body' : 'query string'} is not valid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
      fields,
    );
  }
}

export const ApiJsonBody = (schema: z.ZodType, description?: string) =>
  applyDecorators(ApiBody({ schema: openApiSchema(schema), description, required: true }));

/** Documents each property of a zod object schema as a query parameter. */
export function ApiQueryFrom(schema: z.ZodObject) {
  const json = openApiSchema(schema) as { properties?: Record<string, SchemaObject>; required?: string[] };
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: (json.required ?? []).includes(name), schema: property, description: property.description as string | undefined }),
    ),
  );
}

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size (1–1000, default 100)'),
  cursor: z.string().min(1).max(500).optional().describe('`nextCursor` of the previous page'),
};
