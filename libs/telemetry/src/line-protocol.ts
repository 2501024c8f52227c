// InfluxDB line protocol (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/).
// Most values need no escaping: testing first spares two regex replacements per tag on the hot path.
// InfluxDB 1.x unescapes only `\,`, `\=` and `\ ` in a tag value, and ends a line at a line break: a tag value
// cannot hold a backslash before those, nor a line break. Free text reaches a tag through `networkName`
// (libs/domain), which rules both out. A string field may hold anything: `"` and `\` are escaped, line breaks
// stay as they are inside the quotes (test/integration/influx-line-protocol.spec.ts writes and reads them back).
const TAG_SPECIAL = /[,= ]/;
const escapeTag = (value: string) => (TAG_SPECIAL.test(value) ? value.replace(/([,= ])/g, '\\$1') : value);
const escapeMeasurement = (value: string) => value.replace(/([, ])/g, '\\$1');
const escapeString = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`;

export type FieldValue = { int: number } | { float: number } | { str: string } | { bool: boolean };

/** One point; tags with null or empty values are left out (InfluxDB rejects empty tag values). */
export function toLine(
  measurement: string,
  tags: Record<string, string | null | undefined>,
  fields: Record<string, FieldValue | null | undefined>,
  /** In the precision of the write (the stores write nanoseconds: `nanoseconds()`). */
  timestamp: string,
): string {
  const tagPart = Object.keys(tags)
    .sort()
    .filter((k) => tags[k] !== null && tags[k] !== undefined && tags[k] !== '')
    .map((k) => `,${escapeTag(k)}=${escapeTag(tags[k] as string)}`)
    .join('');
  const fieldPart = Object.entries(fields)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => {
      const value = v as FieldValue;
      const rendered =
        'int' in value
          ? `${Math.trunc(value.int)}i`
          : 'float' in value
            ? String(value.float)
            : 'str' in value
              ? escapeString(value.str)
              : String(value.bool);
      return `${escapeTag(k)}=${rendered}`;
    })
    .join(',');
  return `${escapeMeasurement(measurement)}${tagPart} ${fieldPart} ${timestamp}`;
}

/** Quotes an InfluxQL string literal. */
export const influxString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** An instant in milliseconds plus `offsetNs` (0–999,999) as an InfluxDB nanosecond timestamp, exact beyond 2^53. */
export function nanoseconds(ms: number, offsetNs = 0): string {
  if (ms > 0) return `${ms}${String(offsetNs).padStart(6, '0')}`;
  return (BigInt(ms) * 1_000_000n + BigInt(offsetNs)).toString();
}
