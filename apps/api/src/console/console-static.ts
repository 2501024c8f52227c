import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths the console must never answer for: the API and the operations endpoints keep their own 404s. */
const RESERVED = /^\/(v1|docs|openapi\.(json|yaml)|health|ready|metrics)(\/|$|\?)/;

/** Where `npm run build` puts the console: `dist/console` under the package root (the nearest folder with a package.json). */
export function consoleDirectory(from = path.dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const built = path.join(dir, 'dist', 'console');
      return existsSync(path.join(built, 'index.html')) ? built : null;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>simfleet console</title></head>
<body><main><h1>The console is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds it), then reload.
The API is at <a href="/docs">/docs</a>.</p></main></body></html>`;

/**
 * Serves the operator console (a single-page app) at `/`: its files as they are (pre-compressed copies when
 * the browser accepts them; hashed assets cached for good), and `index.html` for any other page path so deep
 * links survive a reload. The API, its docs and the operations endpoints are never shadowed.
 */
export function serveConsole(app: NestFastifyApplication, root = consoleDirectory()): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  if (root) {
    void fastify.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: false,
      preCompressed: true,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  const page = (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0];
    // A missing file (anything with an extension) or an API path: the platform's own 404.
    if (RESERVED.test(request.url) || /\.[A-Za-z0-9]+$/.test(pathname)) return reply.callNotFound();
    if (!root) return reply.status(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root);
  };
  fastify.get('/', page);
  fastify.get('/*', page);
}
