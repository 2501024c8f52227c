import '../validation-messages.js';
import { z } from 'zod';

export const RATS = ['2G', '3G', '4G', '5G', 'LTE-M', 'NB-IoT'] as const;
export type Rat = (typeof RATS)[number];

const ISO_INSTANT = 'an ISO 8601 date-time with a time zone, e.g. 2026-11-28T10:00:00Z';
const isoInstant = z.iso.datetime({ offset: true, error: (issue) => (issue.input === undefined ? 'required' : ISO_INSTANT) });
const counter = z.number().int('a whole number of bytes').min(0, 'bytes are never negative').max(Number.MAX_SAFE_INTEGER);

/** A data-session record as a device publishes it on `things/{iccid}/sessions`. Counters are cumulative. */
export const sessionRecordSchema = z
  .object({
    sessionId: z.string().min(1).max(128),
    startedAt: isoInstant,
    // Missing is not "open": a device says so with null, or the end it knows.
    endedAt: z.iso
      .datetime({ offset: true, error: (issue) => (issue.input === undefined ? 'required (null while the session is open)' : ISO_INSTANT) })
      .nullable(),
    bytesUp: counter,
    bytesDown: counter,
    mcc: z.string().regex(/^\d{3}$/, 'an MCC is 3 digits'),
    mnc: z.string().regex(/^\d{2,3}$/, 'an MNC is 2 or 3 digits'),
    rat: z.enum(RATS),
    network: z.string().min(1).max(100).optional(),
    cellId: z.union([z.string().max(64), z.number().int().min(0)]).optional(),
    lac: z.union([z.string().max(64), z.number().int().min(0)]).optional(),
    imei: z
      .string()
      .regex(/^\d{15}$/, 'an IMEI is 15 digits')
      .optional(),
  })
  .strict()
  .refine((r) => r.endedAt === null || Date.parse(r.endedAt) >= Date.parse(r.startedAt), {
    message: 'endedAt is before startedAt',
    path: ['endedAt'],
  });
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

export const locationRecordSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    accuracyM: z.number().min(0).max(1_000_000),
    source: z.enum(['gps', 'cell']),
    at: isoInstant,
  })
  .strict();
export type LocationRecord = z.infer<typeof locationRecordSchema>;

export const statusRecordSchema = z
  .object({
    imei: z.string().regex(/^\d{15}$/, 'an IMEI is 15 digits'),
    signalDbm: z.number().int().min(-150).max(0).optional(),
    firmware: z.string().min(1).max(100).optional(),
    at: isoInstant,
    correlationId: z.string().max(128).optional(),
  })
  .strict();
export type StatusRecord = z.infer<typeof statusRecordSchema>;

export type TelemetryKind = 'session' | 'location' | 'status';

/** A validated record with the identity of the SIM that sent it, as the broker queues it. */
export type TelemetryEnvelope =
  | { kind: 'session'; accountId: string; iccid: string; receivedAt: string; record: SessionRecord }
  | { kind: 'location'; accountId: string; iccid: string; receivedAt: string; record: LocationRecord }
  | { kind: 'status'; accountId: string; iccid: string; receivedAt: string; record: StatusRecord };

/** One queue job: a batch of records, bounded in size and time by the broker. */
export interface IngestBatch {
  records: TelemetryEnvelope[];
}

/**
 * A SIM's last-seen time is kept to this resolution: a device streaming records rewrites its SIM's row at
 * most this often (unless its network, radio, IMEI or location changes). Below a "silent" rule's threshold.
 */
export const LAST_SEEN_RESOLUTION_MS = 1_000;
