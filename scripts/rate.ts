/**
 * Offline rating: prints the invoice of one period as JSON.
 *   npm run rate -- --plan plan.json --events events.ndjson --period 2026-10 [--tz Europe/Paris]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvoiceBuilder, parseEvent, validatePlan, fixedClock, type ThingsInput } from '@simfleet/billing';

const HELP = `Usage: npm run rate -- --plan <plan.json> --events <events.ndjson> --period <YYYY-MM> [options]

Rates one calendar month of billable events with a price plan and prints the invoice as JSON.

  --plan <file>     price plan (JSON). Prices are decimal strings ("0.045").
  --events <file>   billable events, one JSON object per line (NDJSON); repeat it to rate several
                    files together (an id seen in two files counts once):
                    {"id":"e1","channel":"sms","type":"mt","to":"+33612345678","at":"2026-10-05T10:00:00Z"}
                    Blank lines and lines starting with // are ignored.
  --period <YYYY-MM> the month to rate, in the plan's time zone.
  --tz <zone>       override the plan's IANA time zone (e.g. Europe/Paris).
  --things <file>   optional THINGS input (JSON): {sims, lifecycle, activeIntervals, dataSessions, smsMt}.
  --now <instant>   optional clock (ISO 8601 with offset): adds generatedAt and provisional.
  --help            this text.

Exit codes: 0 invoice printed; 1 invalid plan, events or THINGS input (errors on stderr with
file:line); 2 bad command line. Items the plan cannot price are listed in "unrated" and
summarised on stderr. See docs/billing.md for every event type and plan field.`;

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    return fail(1, `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

function main(): void {
  let args;
  try {
    const parsed = parseArgs({
      options: {
        plan: { type: 'string' },
        events: { type: 'string', multiple: true },
        period: { type: 'string' },
        tz: { type: 'string' },
        things: { type: 'string' },
        now: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      tokens: true,
    });
    // parseArgs keeps the last of a repeated option: refuse that rather than silently rate half the input.
    const seen = new Map<string, number>();
    for (const token of parsed.tokens) if (token.kind === 'option') seen.set(token.name, (seen.get(token.name) ?? 0) + 1);
    const repeated = [...seen].filter(([name, n]) => n > 1 && name !== 'events');
    if (repeated.length)
      return fail(
        2,
        `${repeated.map(([name, n]) => `--${name} is given ${n} times`).join('; ')}: give it once (only --events may repeat)\n\n${HELP}`,
      );
    args = parsed.values;
  } catch (e) {
    return fail(2, `${(e as Error).message}\n\n${HELP}`);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (!args.plan || !args.period) fail(2, `--plan and --period are required\n\n${HELP}`);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(args.period)) fail(2, `--period must be YYYY-MM, got "${args.period}"`);

  let rawPlan: unknown;
  try {
    rawPlan = JSON.parse(readText(args.plan, 'plan'));
  } catch (e) {
    return fail(1, `${args.plan}: invalid JSON: ${(e as Error).message}`);
  }
  if (args.tz && typeof rawPlan === 'object' && rawPlan !== null) rawPlan = { ...rawPlan, timeZone: args.tz };
  const plan = validatePlan(rawPlan);
  if (!plan.ok) fail(1, `${args.plan}: invalid price plan\n${plan.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);

  let clock;
  try {
    clock = args.now ? fixedClock(args.now) : undefined;
  } catch (e) {
    return fail(2, `--now: ${(e as Error).message}`);
  }
  const builder = new InvoiceBuilder(plan.plan, args.period, clock);

  const errors: string[] = [];
  for (const file of args.events ?? []) {
    const lines = readText(file, 'events').split(/\r?\n/);
    lines.forEach((line, i) => {
      const text = line.trim();
      if (!text || text.startsWith('//')) return;
      const where = `${file}:${i + 1}`;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        errors.push(`${where}: invalid JSON: ${(e as Error).message}`);
        return;
      }
      const parsed = parseEvent(raw);
      if (!parsed.ok) {
        for (const p of parsed.problems) errors.push(`${where}: ${p.path}: ${p.message}`);
        return;
      }
      builder.addEvent(parsed.event);
    });
  }
  if (args.things) {
    try {
      builder.addThings(JSON.parse(readText(args.things, 'THINGS input')) as ThingsInput);
    } catch (e) {
      errors.push(`${args.things}: ${(e as Error).message}`);
    }
  }
  if (errors.length)
    fail(
      1,
      `${errors.length} invalid input${errors.length === 1 ? '' : 's'}:\n${errors.slice(0, 50).join('\n')}${errors.length > 50 ? `\n… ${errors.length - 50} more` : ''}`,
    );

  let invoice;
  try {
    invoice = builder.build();
  } catch (e) {
    return fail(1, (e as Error).message);
  }
  process.stdout.write(`${JSON.stringify(invoice, null, 2)}\n`);
  for (const u of invoice.unrated)
    process.stderr.write(`warning: ${u.count} unrated ${u.channel}/${u.type}: ${u.reason} (e.g. ${u.examples.join(', ')})\n`);
}

main();
