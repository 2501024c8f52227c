import type { EventOf } from './events.js';
import { DAY_MS } from './time.js';

/** An event with its instant already parsed (ms). Lists are sorted by (at, inbound first, id). */
export interface Timed<E> {
  t: number;
  e: E;
}

const WINDOW_MS = DAY_MS; // every messaging window of the catalogue is a fixed 24 h

type WhatsAppEvent = EventOf<'whatsapp:mo'> | EventOf<'whatsapp:template'> | EventOf<'whatsapp:free-form'>;
export type WhatsAppConversationCategory = 'utility' | 'authentication' | 'marketing' | 'service';

export interface OpenedWindow<C extends string = string> {
  kind: C;
  sender: string;
  user: string;
  openedAt: number;
  ref: string;
}

/**
 * WhatsApp conversations (fixed 24 h from the message that opens them), per sender and user:
 * - a delivered template opens and charges a conversation of its category unless one of that
 *   same category is open (an open utility conversation does not cover a marketing template);
 * - a delivered free-form reply opens and charges a service conversation only inside the CSW
 *   (24 h from the user's last MO) and only when no conversation of any category is open.
 * Returns every conversation opened (the caller keeps those opened in the period) and the
 * free-form messages that arrived outside any CSW (not deliverable, reported, never charged).
 */
export function whatsappConversations(events: ReadonlyArray<Timed<WhatsAppEvent>>): {
  opened: OpenedWindow<WhatsAppConversationCategory>[];
  outsideCsw: Timed<WhatsAppEvent>[];
} {
  const state = new Map<string, { lastMo: number; open: Map<WhatsAppConversationCategory, number> }>();
  const opened: OpenedWindow<WhatsAppConversationCategory>[] = [];
  const outsideCsw: Timed<WhatsAppEvent>[] = [];
  for (const item of events) {
    const { t, e } = item;
    const user = e.type === 'mo' ? e.from : e.to;
    const key = `${e.sender}\u0000${user}`;
    let s = state.get(key);
    if (!s) {
      s = { lastMo: Number.NEGATIVE_INFINITY, open: new Map() };
      state.set(key, s);
    }
    if (e.type === 'mo') {
      s.lastMo = t;
      continue;
    }
    if (!e.delivered) continue;
    const isOpen = (c: WhatsAppConversationCategory): boolean => {
      const at = s.open.get(c);
      return at !== undefined && t < at + WINDOW_MS;
    };
    if (e.type === 'template') {
      if (!isOpen(e.category)) {
        s.open.set(e.category, t);
        opened.push({ kind: e.category, sender: e.sender, user, openedAt: t, ref: e.id });
      }
      continue;
    }
    if (t >= s.lastMo + WINDOW_MS) {
      outsideCsw.push(item);
      continue;
    }
    const anyOpen = (['utility', 'authentication', 'marketing', 'service'] as const).some(isOpen);
    if (!anyOpen) {
      s.open.set('service', t);
      opened.push({ kind: 'service', sender: e.sender, user, openedAt: t, ref: e.id });
    }
  }
  return { opened, outsideCsw };
}

type ViberEvent = EventOf<'viber:mo'> | EventOf<'viber:message'>;

export interface ViberOutcome {
  /** Delivered messages billed at the regular rate. */
  regular: Timed<EventOf<'viber:message'>>[];
  /** Sessions opened (charged once each at the session rate). */
  sessions: OpenedWindow<'session'>[];
}

/**
 * Viber business messages per sender and user. A session opens with the first delivered
 * session-type message sent while the CSW (24 h from the user's last MO) is open and no session is
 * running; it lasts a fixed 24 h and covers up to `maxPerSession` session-type messages. Session-type
 * messages past that cap or outside any CSW, and every other message type, pay the regular rate.
 */
export function viberSessions(events: ReadonlyArray<Timed<ViberEvent>>, maxPerSession: number): ViberOutcome {
  const state = new Map<string, { lastMo: number; sessionAt: number; used: number }>();
  const out: ViberOutcome = { regular: [], sessions: [] };
  for (const { t, e } of events) {
    const user = e.type === 'mo' ? e.from : e.to;
    const key = `${e.sender}\u0000${user}`;
    let s = state.get(key);
    if (!s) {
      s = { lastMo: Number.NEGATIVE_INFINITY, sessionAt: Number.NEGATIVE_INFINITY, used: 0 };
      state.set(key, s);
    }
    if (e.type === 'mo') {
      s.lastMo = t;
      continue;
    }
    if (!e.delivered) continue;
    if (e.messageType === 'session') {
      if (t < s.sessionAt + WINDOW_MS && s.used < maxPerSession) {
        s.used++;
        continue;
      }
      if (t < s.lastMo + WINDOW_MS && !(t < s.sessionAt + WINDOW_MS)) {
        s.sessionAt = t;
        s.used = 1;
        out.sessions.push({ kind: 'session', sender: e.sender, user, openedAt: t, ref: e.id });
        continue;
      }
    }
    out.regular.push({ t, e });
  }
  return out;
}

type ViberBotEvent = EventOf<'viber-bot:mo'> | EventOf<'viber-bot:message'>;

/** Viber Bot: only outbound messages delivered outside the CSW (24 h from the user's last message to the bot) are billable. */
export function viberBotBillable(events: ReadonlyArray<Timed<ViberBotEvent>>): Timed<EventOf<'viber-bot:message'>>[] {
  const lastMo = new Map<string, number>();
  const billable: Timed<EventOf<'viber-bot:message'>>[] = [];
  for (const { t, e } of events) {
    if (e.type === 'mo') {
      lastMo.set(`${e.bot}\u0000${e.from}`, t);
      continue;
    }
    if (!e.delivered) continue;
    const mo = lastMo.get(`${e.bot}\u0000${e.to}`);
    if (mo === undefined || t >= mo + WINDOW_MS) billable.push({ t, e });
  }
  return billable;
}

type AnswersEvent = EventOf<'answers:message'> | EventOf<'answers:session-end'>;

/**
 * Answers (chatbot) sessions per bot and user: an inbound message with no open session starts one;
 * it closes when `timeoutMs` passes after a message with no further message, when the bot
 * completes, or on transfer to an agent. Outbound messages never start a session.
 */
export function answersSessions(events: ReadonlyArray<Timed<AnswersEvent>>, timeoutMs: number): OpenedWindow<'session'>[] {
  const lastAt = new Map<string, number>();
  const sessions: OpenedWindow<'session'>[] = [];
  for (const { t, e } of events) {
    const key = `${e.bot}\u0000${e.userId}`;
    if (e.type === 'session-end') {
      lastAt.delete(key);
      continue;
    }
    const last = lastAt.get(key);
    const open = last !== undefined && t - last < timeoutMs;
    if (open) {
      lastAt.set(key, t);
    } else if (e.direction === 'in') {
      lastAt.set(key, t);
      sessions.push({ kind: 'session', sender: e.bot, user: e.userId, openedAt: t, ref: e.id });
    } else {
      lastAt.delete(key);
    }
  }
  return sessions;
}
