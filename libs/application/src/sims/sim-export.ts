import type { SimExportRow } from '@simfleet/persistence';

/** The columns of GET /v1/sims/export, in order (docs/sims.md "Export"). */
export const SIM_EXPORT_COLUMNS = [
  'iccid',
  'imsi',
  'msisdn',
  'eid',
  'formFactor',
  'name',
  'status',
  'blocks',
  'groupId',
  'groupName',
  'tags',
  'labels',
  'endUserDevice',
  'country',
  'network',
  'mcc',
  'mnc',
  'rat',
  'imei',
  'lastSeenAt',
  'firstActivatedAt',
  'createdAt',
] as const;

/**
 * A text a person typed (a SIM or group name) or a device reported (a network name) that a spreadsheet
 * would run as a formula: `=`, `+`, `-`, `@`, tab or CR first. It is written with a leading `'` (OWASP's
 * advice), which spreadsheets show as text; every other column holds identifiers, codes, numbers or JSON.
 */
export const defuseFormula = (text: string | null): string | null => (text !== null && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/** RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled. */
const field = (value: string | null): string => {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
};

export const simExportHeader = (): string => `${SIM_EXPORT_COLUMNS.join(',')}\r\n`;

/** One CRLF-terminated line of the export. */
export function simExportLine(row: SimExportRow, groupName: string | null): string {
  const values: Array<string | null> = [
    row.iccid,
    row.imsi,
    row.msisdn,
    row.eid,
    row.form_factor,
    defuseFormula(row.name),
    row.status,
    row.blocks,
    row.group_id,
    defuseFormula(groupName),
    row.tags,
    row.labels,
    row.end_user_device,
    row.country,
    defuseFormula(row.network),
    row.mcc,
    row.mnc,
    row.rat,
    row.imei,
    row.last_seen_at,
    row.first_activated_at,
    row.created_at,
  ];
  return `${values.map(field).join(',')}\r\n`;
}
