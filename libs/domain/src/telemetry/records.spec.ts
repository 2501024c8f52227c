import { locationRecordSchema, sessionRecordSchema } from './records.js';

const session = {
  sessionId: 's-1',
  startedAt: '2026-11-28T10:00:00Z',
  endedAt: null,
  bytesUp: 1,
  bytesDown: 2,
  mcc: '208',
  mnc: '01',
  rat: '4G',
};

const problems = (schema: typeof sessionRecordSchema | typeof locationRecordSchema, input: unknown) => {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => ({ field: issue.path.join('/'), message: issue.message }));
};

describe('telemetry records: problems a device developer can act on', () => {
  it('says a missing endedAt is required, and that an open session sends null', () => {
    const { endedAt: _omitted, ...withoutEnd } = session;
    expect(problems(sessionRecordSchema, withoutEnd)).toEqual([{ field: 'endedAt', message: 'required (null while the session is open)' }]);
    expect(problems(sessionRecordSchema, session)).toEqual([]);
  });

  it('still explains a malformed endedAt as a date-time with a time zone', () => {
    expect(problems(sessionRecordSchema, { ...session, endedAt: '2026-11-28 11:00' })).toEqual([
      { field: 'endedAt', message: 'an ISO 8601 date-time with a time zone, e.g. 2026-11-28T10:00:00Z' },
    ]);
  });

  it('says any other missing field is required', () => {
    const { bytesUp: _omitted, ...withoutBytes } = session;
    expect(problems(sessionRecordSchema, withoutBytes)).toEqual([{ field: 'bytesUp', message: 'required' }]);
    expect(problems(locationRecordSchema, { lat: 1, lon: 2, accuracyM: 3, source: 'gps' })).toEqual([{ field: 'at', message: 'required' }]);
  });
});
