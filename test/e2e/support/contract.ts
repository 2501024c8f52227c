import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export arrives as the module object under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

type Json = Record<string, any>;

export interface Operation {
  method: string;
  /** The document's path template, e.g. `/v1/sims/{iccid}`. */
  path: string;
  /** `GET /v1/sims/{iccid}`: how a failure names the operation. */
  name: string;
  spec: Json;
  pattern: RegExp;
  parameterCount: number;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * The OpenAPI document of a running platform, as a checker of responses: every status, media type and
 * body must be the document's. The e2e ApiClient and the fuzz test run every response through it.
 */
export class OpenApiContract {
  readonly operations: Operation[] = [];
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'openapi.json', components: rewriteRefs(document.components ?? {}) });
    for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
      for (const method of METHODS) {
        const spec = item[method];
        if (!spec) continue;
        const names: string[] = [];
        const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
        this.operations.push({
          method: method.toUpperCase(),
          path,
          name: `${method.toUpperCase()} ${path}`,
          spec,
          pattern: new RegExp(`^${source}$`),
          parameterCount: names.length,
        });
      }
    }
    // A literal segment wins over a parameter (`/v1/sims/summary` before `/v1/sims/{iccid}`).
    this.operations.sort((a, b) => a.parameterCount - b.parameterCount);
  }

  /** The operation a request went to, if the document has it. */
  find(method: string, url: string): Operation | undefined {
    const path = new URL(url, 'http://x').pathname;
    const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    return this.operations.find((op) => op.method === wanted && op.pattern.test(path));
  }

  /** A schema of the document as a validator (refs resolved against the document's components). */
  validator(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema));
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** The problems of one response against the document (empty when it conforms). */
  check(method: string, url: string, status: number, contentType: string | null, text: string): string[] {
    const operation = this.find(method, url);
    const path = new URL(url, 'http://x').pathname;
    const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!operation) {
      // Undocumented URLs (docs, metrics) are not the API's; their errors are problems all the same.
      if (status >= 400 && mediaType !== 'application/problem+json')
        return [`${method} ${path} → ${status}: an error that is not application/problem+json`];
      return [];
    }
    const where = `${operation.name} → ${status}`;
    const response = this.resolve(operation.spec.responses?.[String(status)] ?? operation.spec.responses?.default);
    if (!response) return [`${where}: status ${status} is not documented (documented: ${Object.keys(operation.spec.responses ?? {}).join(', ')})`];
    const content: Json | undefined = response.content;
    if (!content || Object.keys(content).length === 0) {
      return text.length && method !== 'HEAD'
        ? [`${where}: the document describes no body, the response has ${text.length} bytes (${mediaType})`]
        : [];
    }
    if (method === 'HEAD') return [];
    const media = content[mediaType];
    if (!media) return [`${where}: media type ${mediaType || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`];
    if (!mediaType.endsWith('json'))
      return media.schema?.type === 'string' || !media.schema ? [] : [`${where}: ${mediaType} body has a non-string schema`];
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [`${where}: the body is not JSON (${text.slice(0, 80)})`];
    }
    if (!media.schema) return [];
    const validate = this.validator(`${operation.name} ${status} ${mediaType}`, media.schema);
    if (validate(body)) return [];
    return (validate.errors ?? [])
      .slice(0, 8)
      .map(
        (e) => `${where}: body${e.instancePath || ''} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`,
      );
  }

  private resolve(value: Json | undefined): Json | undefined {
    if (!value?.$ref) return value;
    const pointer = String(value.$ref).replace(/^#\//, '').split('/');
    return this.resolve(pointer.reduce<Json>((node, part) => node?.[part], this.document));
  }
}

/** `#/components/...` → `openapi.json#/components/...`, so that ajv resolves refs in the document registered above. */
function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        key === '$ref' && typeof item === 'string' && item.startsWith('#/') ? `openapi.json${item}` : rewriteRefs(item),
      ]),
    ) as T;
  }
  return value;
}

const contracts = new Map<string, Promise<OpenApiContract | null>>();

/** The contract of the platform at `baseUrl` (null when it serves no API: a broker or worker alone). */
export function contractOf(baseUrl: string): Promise<OpenApiContract | null> {
  let contract = contracts.get(baseUrl);
  if (!contract) {
    contract = fetch(`${baseUrl}/openapi.json`).then(async (response) => (response.ok ? new OpenApiContract((await response.json()) as Json) : null));
    contracts.set(baseUrl, contract);
  }
  return contract;
}
