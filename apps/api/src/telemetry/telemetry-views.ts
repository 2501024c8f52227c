import { z } from 'zod';
import { RATS } from '@simfleet/domain';

// Response shapes of the telemetry queries, for the OpenAPI document.
const instant = z.string().describe('ISO 8601 date-time (UTC)');
const count = z.number().int();
const endUserDevice = z
  .object({ declared: z.boolean(), declaredBy: z.string().nullable(), declaredAt: instant.nullable() })
  .describe('The SIM’s end-user-device declaration');
const fix = z.object({ at: instant, lat: z.number(), lon: z.number(), accuracyM: z.number().nullable(), source: z.string().nullable() });

export const usageReportView = z.object({
  groupBy: z.enum(['sim', 'group', 'network', 'country', 'rat']),
  from: instant,
  to: instant,
  rows: z.array(
    z.object({
      key: z.string().nullable().describe('ICCID, group id, MCC-MNC, ISO country code or RAT; null for no group / unknown country'),
      label: z.string(),
      bytesUp: count,
      bytesDown: count,
      bytesTotal: count,
      sessions: count,
      sims: count.describe('Distinct SIMs'),
    }),
  ),
});

export const networkStatsView = z.object({
  from: instant,
  to: instant,
  networks: z.array(
    z.object({
      key: z.string().describe('MCC-MNC'),
      mcc: z.string(),
      mnc: z.string(),
      name: z.string().nullable(),
      country: z.string().nullable(),
      sessions: count,
      bytesUp: count,
      bytesDown: count,
      bytesTotal: count,
      sims: count,
      rats: z.array(z.object({ rat: z.enum(RATS), sessions: count, bytesTotal: count, sims: count })),
    }),
  ),
});

export const geoJsonView = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(
    z.object({
      type: z.literal('Feature'),
      id: z.string().describe('ISO 3166-1 alpha-2, or `unknown`'),
      geometry: z
        .object({
          type: z.literal('Point'),
          coordinates: z.tuple([z.number(), z.number()]).describe('[longitude, latitude] of the country centroid'),
        })
        .nullable(),
      properties: z.object({
        country: z.string().nullable(),
        name: z.string(),
        sessions: count,
        bytesUp: count,
        bytesDown: count,
        bytesTotal: count,
        sims: count,
        networks: z.array(
          z.object({
            key: z.string(),
            mcc: z.string(),
            mnc: z.string(),
            name: z.string().nullable(),
            sessions: count,
            bytesTotal: count,
            sims: count,
          }),
        ),
      }),
    }),
  ),
});

export const locationsPageView = z.object({ iccid: z.string(), endUserDevice, data: z.array(fix), nextCursor: z.string().nullable() });
export const lastLocationView = z.object({ iccid: z.string(), endUserDevice, location: fix.nullable() });

const session = z.object({
  sessionId: z.string(),
  startedAt: instant,
  endedAt: instant.nullable(),
  bytesUp: count,
  bytesDown: count,
  bytesTotal: count,
  mcc: z.string(),
  mnc: z.string(),
  network: z.string().nullable(),
  country: z.string().nullable(),
  rat: z.string(),
  updatedAt: instant.describe('When the platform last updated the session'),
});

export const diagnosticsView = z.object({
  iccid: z.string(),
  name: z.string().nullable(),
  status: z.string(),
  blocks: z.array(z.string()),
  connection: z.object({
    state: z.enum(['online', 'offline', 'blocked']),
    since: instant.nullable(),
    source: z.enum(['telemetry', 'broker']).describe('What the state was derived from'),
  }),
  lastSeenAt: instant.nullable(),
  openSession: session.nullable(),
  lastSession: session.nullable(),
  network: z.object({ mcc: z.string(), mnc: z.string(), name: z.string().nullable(), country: z.string().nullable() }).nullable(),
  rat: z.string().nullable(),
  signalDbm: z.number().nullable(),
  firmware: z.string().nullable(),
  imei: z.string().nullable(),
  imeiCheck: z.enum(['match', 'mismatch', 'unrestricted', 'unknown']).describe('unrestricted: no authorized IMEIs; unknown: no IMEI reported yet'),
  authorizedImeis: z.array(z.string()),
  recentErrors: z.array(z.object({ at: instant, topic: z.string(), code: z.string(), message: z.string(), index: z.number().int().nullable() })),
  lastLocation: fix.nullable(),
  endUserDevice,
});
