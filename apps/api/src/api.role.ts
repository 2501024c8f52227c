import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { ApiKeyAuthenticator } from '@simfleet/application';
import type { PlatformRole } from '@simfleet/bootstrap';
import { completeOpenApiDocument, enforceRequestContract, registerAuditHook, RequestContract, SESSION_COOKIE } from '@simfleet/http';
import { ApiModule } from './api.module.js';

function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('SIM fleet platform API')
    .setDescription(
      'IoT SIM management and telemetry. Authenticate with `Authorization: Bearer <api key>`, or with the browser session ' +
        'cookie of `POST /v1/sessions` (writes then need `X-CSRF-Token` and an Origin of the API’s own). ' +
        'Errors are RFC 9457 `application/problem+json`. POST requests honour `Idempotency-Key`. ' +
        'Lists use keyset pagination (`limit`, `cursor` → `nextCursor`).',
    )
    .setVersion('1')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An account API key, or the platform admin key for admin routes' })
    .addCookieAuth(SESSION_COOKIE, {
      type: 'apiKey',
      in: 'cookie',
      name: SESSION_COOKIE,
      description: 'A signed-in user’s session (POST /v1/sessions); writes need the `X-CSRF-Token` header and an Origin of the API’s own',
    })
    .build();
  return completeOpenApiDocument(SwaggerModule.createDocument(app, config));
}

/** The REST API role: `/v1`, its OpenAPI document at `/openapi.json` and `/docs`, and the platform admin key. */
export const apiRole: PlatformRole = {
  name: 'api',
  module: ApiModule,
  beforeInit(app) {
    registerAuditHook(app);
    const openApi = buildOpenApi(app);
    // The document is the contract: the routes registered next refuse what it does not describe.
    enforceRequestContract(app.getHttpAdapter().getInstance() as unknown as FastifyInstance, new RequestContract(openApi));
    SwaggerModule.setup('docs', app, openApi, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml', raw: ['json', 'yaml'] });
    return { openApi };
  },
  async afterInit(app) {
    return { generatedAdminKey: await app.get(ApiKeyAuthenticator).ensureAdminKey() };
  },
};
