/**
 * GSM 03.38 / 3GPP TS 23.038 text encoding of mobile-terminated SMS: which alphabet a text needs and how
 * many segments it takes. Pure functions, no I/O.
 */
export type SmsEncoding = 'gsm7' | 'ucs2';

// The GSM 7-bit default alphabet (1 septet each). 0x1B (escape) is not a character of its own.
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
// The extension table: each is sent as escape + character, 2 septets.
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

/** Capacity of one SMS: 140 octets = 160 septets, or 70 UCS-2 code units; less the 6-octet UDH when concatenated. */
export const SEGMENT_CAPACITY = {
  gsm7: { single: 160, concatenated: 153 },
  ucs2: { single: 70, concatenated: 67 },
} as const;

export interface SmsLayout {
  encoding: SmsEncoding;
  /** Septets (GSM-7, escapes count 2) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Characters (Unicode code points) of the text. */
  characters: number;
}

export type SmsTextProblem =
  | { code: 'empty'; message: string }
  | { code: 'invalid_character'; message: string }
  | { code: 'too_long'; message: string; segments: number; maxSegments: number };

/** Septets of one character in GSM-7, or null when GSM-7 cannot carry it. */
export function gsm7Septets(char: string): 1 | 2 | null {
  if (GSM7_BASIC.has(char)) return 1;
  if (GSM7_EXTENSION.has(char)) return 2;
  return null;
}

/**
 * Packs unit sizes into segments without splitting a unit (a GSM-7 escape sequence, a UTF-16 surrogate
 * pair), as handsets and SMSCs do: a 2-septet character that does not fit starts the next segment.
 */
function countSegments(sizes: number[], single: number, concatenated: number): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= single) return 1;
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > concatenated) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return segments;
}

/** The encoding and segment count of a text: GSM-7 when every character fits it, UCS-2 otherwise. */
export function layoutSms(text: string): SmsLayout {
  const characters = Array.from(text);
  const septets = characters.map(gsm7Septets);
  if (septets.every((s) => s !== null)) {
    const sizes = septets as number[];
    return {
      encoding: 'gsm7',
      units: sizes.reduce((a, b) => a + b, 0),
      segments: countSegments(sizes, SEGMENT_CAPACITY.gsm7.single, SEGMENT_CAPACITY.gsm7.concatenated),
      characters: characters.length,
    };
  }
  const sizes = characters.map((c) => c.length); // 2 for a character outside the BMP (a surrogate pair)
  return {
    encoding: 'ucs2',
    units: sizes.reduce((a, b) => a + b, 0),
    segments: countSegments(sizes, SEGMENT_CAPACITY.ucs2.single, SEGMENT_CAPACITY.ucs2.concatenated),
    characters: characters.length,
  };
}

/** Validates a text for sending in at most `maxSegments` segments: the layout, or every problem found. */
export function checkSmsText(text: string, maxSegments: number): { ok: true; layout: SmsLayout } | { ok: false; problems: SmsTextProblem[] } {
  if (text.length === 0) return { ok: false, problems: [{ code: 'empty', message: 'the text is empty' }] };
  const problems: SmsTextProblem[] = [];
  // A lone surrogate is not a character: neither alphabet can carry it. NUL is refused by most SMSCs.
  const invalid = Array.from(text).findIndex((c) => (c.length === 1 && c >= '\ud800' && c <= '\udfff') || c === '\u0000');
  if (invalid >= 0) problems.push({ code: 'invalid_character', message: `character ${invalid + 1} is not a valid Unicode character` });
  const layout = layoutSms(text);
  if (layout.segments > maxSegments) {
    const capacity = SEGMENT_CAPACITY[layout.encoding];
    const limit = maxSegments === 1 ? capacity.single : capacity.concatenated * maxSegments;
    problems.push({
      code: 'too_long',
      message: `the text needs ${layout.segments} ${layout.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2'} segments (${layout.units} ${layout.encoding === 'gsm7' ? 'septets' : 'UTF-16 units'}); the limit is ${maxSegments} segments (${limit} ${layout.encoding === 'gsm7' ? 'septets' : 'UTF-16 units'})`,
      segments: layout.segments,
      maxSegments,
    });
  }
  return problems.length ? { ok: false, problems } : { ok: true, layout };
}
