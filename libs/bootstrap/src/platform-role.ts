import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';

export type RoleName = 'api' | 'broker' | 'worker';

/** What a running process can tell about itself, each fact from the role that owns it. */
export interface RoleFacts {
  mqttPorts: { tcp?: number; ws?: number; tls?: number };
  /** The generated platform admin key, when this start created one (printed once). */
  generatedAdminKey: string | null;
  openApi?: OpenAPIObject;
}

/**
 * A role a process can run (the api, the broker, the worker): its Nest module and its steps in the
 * process's life. Each app declares its own (`apps/<app>/src/<app>.role.ts`); the bootstrap knows none.
 */
export interface PlatformRole {
  readonly name: RoleName;
  readonly module: Type<unknown> | DynamicModule;
  /** Before the modules initialise (e.g. the API's OpenAPI document, which reads the routes). */
  beforeInit?(app: NestFastifyApplication): Partial<RoleFacts> | void;
  /** After the modules initialised, before HTTP listens. */
  afterInit?(app: NestFastifyApplication): Promise<Partial<RoleFacts> | void>;
  /** Once HTTP listens. */
  afterListen?(app: NestFastifyApplication): Partial<RoleFacts> | void;
  /** First step of a shutdown, before the queue drains (e.g. the broker stops taking records). */
  stop?(app: NestFastifyApplication): Promise<void>;
}
