import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { ADMIN_TOO_METADATA, PUBLIC_METADATA, SCOPE_METADATA, SESSION_METADATA } from './auth.guard.js';

/** One route as its controller declares it: who may call it. */
export interface RouteDeclaration {
  controller: string;
  handler: string;
  method: string;
  /** The full path, e.g. `/v1/sims/:iccid/suspend`. */
  path: string;
  scope?: string;
  public: boolean;
  /** A signed-in user's own route (@RequireSession). */
  session: boolean;
  /** An account route the platform admin may call too (@AllowAdminToo). */
  adminToo: boolean;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD', 'SEARCH'];
const joinPath = (...parts: unknown[]) =>
  `/${parts
    .flatMap((p) => (Array.isArray(p) ? p : [p]))
    .map((p) => String(p ?? '').replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** Every route of the running application, from the controllers' declarations (access tests are generated from these). */
export function listRouteDeclarations(app: INestApplication): RouteDeclaration[] {
  const routes: RouteDeclaration[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | null;
      if (!controller) continue;
      const meta = (key: string, handler: object) => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        routes.push({
          controller: controller.name,
          handler: name,
          method: METHODS[Reflect.getMetadata(METHOD_METADATA, handler) as number] ?? 'GET',
          path: joinPath(Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler)),
          scope: meta(SCOPE_METADATA, handler as object),
          public: meta(PUBLIC_METADATA, handler as object) === true,
          session: meta(SESSION_METADATA, handler as object) === true,
          adminToo: meta(ADMIN_TOO_METADATA, handler as object) === true,
        });
      }
    }
  }
  return routes;
}

/** Every route of every controller must say who may call it (a scope, a signed-in user, or public); startup fails otherwise. */
export function assertEveryRouteDeclaresAccess(app: INestApplication): void {
  const undeclared = listRouteDeclarations(app)
    .filter((route) => route.scope === undefined && !route.public && !route.session)
    .map((route) => `${route.controller}.${route.handler} (${route.path})`);
  if (undeclared.length) throw new Error(`routes without @RequireScope, @RequireSession or @Public: ${undeclared.join(', ')}`);
}
