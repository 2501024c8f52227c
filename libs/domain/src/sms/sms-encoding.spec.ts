import { checkSmsText, gsm7Septets, layoutSms } from './sms-encoding.js';
import { smsStatusAdvances, type SmsStatus } from './sms-message.js';

const repeat = (s: string, n: number) => s.repeat(n);

describe('layoutSms', () => {
  it.each([
    ['plain ASCII', 'Hello', 'gsm7', 5, 1],
    ['160 GSM-7 characters fit one SMS', repeat('a', 160), 'gsm7', 160, 1],
    ['161 characters need two segments of 153', repeat('a', 161), 'gsm7', 161, 2],
    ['306 characters fill two concatenated segments', repeat('a', 306), 'gsm7', 306, 2],
    ['307 characters need a third', repeat('a', 307), 'gsm7', 307, 3],
    ['GSM-7 national characters stay 1 septet', 'äöüÄÖÜßéèñ£¥§¿¡ΔΦΓΛΩΠΨΣΘΞ', 'gsm7', 25, 1],
    ['an extension character counts 2 septets', '€', 'gsm7', 2, 1],
    ['80 euro signs are 160 septets: one SMS', repeat('€', 80), 'gsm7', 160, 1],
    ['81 euro signs are 162 septets: two segments', repeat('€', 81), 'gsm7', 162, 2],
    ['every extension character is 2 septets', '^{}\\[~]|\f', 'gsm7', 18, 1],
    ['an escape pair is never split: 152 + € moves € on', repeat('a', 152) + '€' + repeat('a', 10), 'gsm7', 164, 2],
    ['escape pair at a boundary: 153 chars then € then 152', repeat('a', 153) + '€' + repeat('a', 152), 'gsm7', 307, 3],
    ['one non-GSM character switches to UCS-2', 'Hello ç', 'ucs2', 7, 1],
    ['70 UCS-2 characters fit one SMS', repeat('ж', 70), 'ucs2', 70, 1],
    ['71 UCS-2 characters need two segments of 67', repeat('ж', 71), 'ucs2', 71, 2],
    ['134 UCS-2 characters fill two segments', repeat('ж', 134), 'ucs2', 134, 2],
    ['135 UCS-2 characters need three', repeat('ж', 135), 'ucs2', 135, 3],
    ['an emoji is a surrogate pair: 2 units', '😀', 'ucs2', 2, 1],
    ['35 emoji are 70 units: one SMS', repeat('😀', 35), 'ucs2', 70, 1],
    ['a surrogate pair is never split across segments', repeat('ж', 66) + '😀' + repeat('ж', 10), 'ucs2', 78, 2],
    ['surrogate pair at 67: 66 + 😀 pushes to segment 2, 2 + 67 more → 3', repeat('ж', 66) + '😀' + repeat('ж', 67), 'ucs2', 135, 3],
  ])('%s', (_, text, encoding, units, segments) => {
    expect(layoutSms(text)).toMatchObject({ encoding, units, segments });
  });

  it('classifies characters', () => {
    expect(gsm7Septets('A')).toBe(1);
    expect(gsm7Septets('\n')).toBe(1);
    expect(gsm7Septets('€')).toBe(2);
    expect(gsm7Septets('\u001b')).toBeNull();
    expect(gsm7Septets('`')).toBeNull();
    expect(gsm7Septets('ç')).toBeNull();
  });
});

describe('checkSmsText', () => {
  it.each([
    ['empty text', '', 6, ['empty']],
    ['6 GSM-7 segments are the limit (918 septets)', repeat('a', 918), 6, []],
    ['919 septets need 7 segments', repeat('a', 919), 6, ['too_long']],
    ['6 UCS-2 segments are the limit (402 units)', repeat('ж', 402), 6, []],
    ['403 UCS-2 units need 7 segments', repeat('ж', 403), 6, ['too_long']],
    ['a limit of 1 segment refuses 161 septets', repeat('a', 161), 1, ['too_long']],
    ['a limit of 1 segment accepts 160 septets', repeat('a', 160), 1, []],
    ['a lone surrogate is not a character', 'ab\ud800cd', 6, ['invalid_character']],
    ['NUL is refused', 'a\u0000b', 6, ['invalid_character']],
  ])('%s', (_, text, max, codes) => {
    const result = checkSmsText(text, max);
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual(codes);
  });

  it('names the segments needed and the limit', () => {
    const result = checkSmsText(repeat('a', 919), 6);
    expect(result).toEqual({
      ok: false,
      problems: [expect.objectContaining({ segments: 7, maxSegments: 6, message: expect.stringContaining('918 septets') })],
    });
  });
});

describe('smsStatusAdvances', () => {
  const table: Array<[SmsStatus, SmsStatus, boolean]> = [
    ['queued', 'sent', true],
    ['queued', 'delivered', true],
    ['queued', 'failed', true],
    ['queued', 'expired', true],
    ['sent', 'delivered', true],
    ['sent', 'expired', true],
    ['sent', 'queued', false],
    ['sent', 'sent', false],
    ['delivered', 'failed', false],
    ['failed', 'delivered', false],
    ['expired', 'delivered', false],
  ];
  it.each(table)('%s → %s: %s', (from, to, advances) => expect(smsStatusAdvances(from, to)).toBe(advances));
});
