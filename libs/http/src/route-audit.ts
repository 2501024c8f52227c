import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_METADATA, SCOPE_METADATA } from './auth.guard.js';

/** Every route of every controller must say who may call it (a scope, or public); startup fails otherwise. */
export function assertEveryRouteDeclaresAccess(app: INestApplication): void {
  const undeclared: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | null;
      if (!controller) continue;
      const classAccess = Reflect.getMetadata(SCOPE_METADATA, controller) ?? Reflect.getMetadata(PUBLIC_METADATA, controller);
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const access = Reflect.getMetadata(SCOPE_METADATA, handler) ?? Reflect.getMetadata(PUBLIC_METADATA, handler) ?? classAccess;
        if (access === undefined) undeclared.push(`${controller.name}.${name} (${String(Reflect.getMetadata(PATH_METADATA, handler))})`);
      }
    }
  }
  if (undeclared.length) throw new Error(`routes without @RequireScope or @Public: ${undeclared.join(', ')}`);
}
