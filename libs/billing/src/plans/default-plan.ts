import type { PricePlan } from '../plan.js';

/**
 * The plan a tenant gets unless an admin sets another: EUR, Europe/Paris periods, THINGS and every
 * channel priced. SaaS packages (Conversations, Conversations API, Moments, Answers) are
 * subscriptions with a monthly fee, so they are not in the default plan: a plan that includes them
 * charges their fee every month (see docs/examples/full-plan.json). Signals is an add-on a client
 * subscribes to, so it is not in the default plan either.
 */
export const DEFAULT_PLAN: PricePlan = {
  id: 'default-eur',
  name: 'Default plan (EUR)',
  currency: 'EUR',
  timeZone: 'Europe/Paris',
  things: {
    activationFee: '2.00',
    activationFeeAt: 'activation',
    monthlyFee: '1.50',
    data: {
      incrementBytes: 1024,
      unitBytes: 1_048_576,
      unitName: 'MB',
      zones: {
        'zone-1': '0.010',
        'zone-2': '0.050',
        'zone-3': '0.150',
        'zone-4': '0.500',
      },
      countryZones: {
        // Zone 1: EU/EEA + UK + CH
        AT: 'zone-1', BE: 'zone-1', BG: 'zone-1', HR: 'zone-1', CY: 'zone-1', CZ: 'zone-1', DK: 'zone-1', EE: 'zone-1', FI: 'zone-1',
        FR: 'zone-1', DE: 'zone-1', GR: 'zone-1', HU: 'zone-1', IE: 'zone-1', IT: 'zone-1', LV: 'zone-1', LT: 'zone-1', LU: 'zone-1',
        MT: 'zone-1', NL: 'zone-1', PL: 'zone-1', PT: 'zone-1', RO: 'zone-1', SK: 'zone-1', SI: 'zone-1', ES: 'zone-1', SE: 'zone-1',
        IS: 'zone-1', LI: 'zone-1', NO: 'zone-1', GB: 'zone-1', CH: 'zone-1', GP: 'zone-1', RE: 'zone-1', GF: 'zone-1',
        // Zone 2: North America, Oceania, developed Asia
        US: 'zone-2', CA: 'zone-2', MX: 'zone-2', AU: 'zone-2', NZ: 'zone-2', JP: 'zone-2', KR: 'zone-2', SG: 'zone-2', HK: 'zone-2', TW: 'zone-2',
        // Zone 3: large emerging markets
        BR: 'zone-3', AR: 'zone-3', CL: 'zone-3', CO: 'zone-3', PE: 'zone-3', IN: 'zone-3', CN: 'zone-3', ID: 'zone-3', MY: 'zone-3', TH: 'zone-3',
        PH: 'zone-3', VN: 'zone-3', TR: 'zone-3', ZA: 'zone-3', MA: 'zone-3', EG: 'zone-3', AE: 'zone-3', SA: 'zone-3', IL: 'zone-3', UA: 'zone-3',
        RS: 'zone-3', BA: 'zone-3', ME: 'zone-3', MK: 'zone-3', AL: 'zone-3', MD: 'zone-3', GE: 'zone-3', AM: 'zone-3',
      },
      // Everything else (and international networks) is the most expensive zone.
      defaultZone: 'zone-4',
    },
  },
  sms: {
    mt: { prefixes: { '+33': '0.045', '+49': '0.075', '+44': '0.035', '+34': '0.060', '+39': '0.065', '+1': '0.010', '+882': '0.050' }, default: '0.080' },
    mo: '0.005',
  },
  mms: { mt: { prefixes: { '+1': '0.020' }, default: '0.150' }, mo: '0.010' },
  rcs: { mt: { prefixes: {}, default: '0.030' }, mo: '0.005' },
  numberLookup: { lookup: '0.004' },
  numbers: {
    long: { activationFee: '10.00', monthlyFee: '5.00' },
    short: { activationFee: '500.00', monthlyFee: '750.00' },
    'toll-free': { activationFee: '25.00', monthlyFee: '15.00' },
    voice: { activationFee: '5.00', monthlyFee: '3.00' },
  },
  email: { message: '0.0008' },
  emailValidation: { request: '0.0030' },
  viber: { message: '0.0250', session: '0.0400', sessionMaxMessages: 60, minimumMonthlyPerSender: '100.00' },
  viberBot: { message: '0.0080' },
  whatsapp: {
    conversation: { utility: '0.0300', authentication: '0.0350', marketing: '0.0700', service: '0.0200' },
    senderMonthlyFee: { cloud: '10.00', hosted: '100.00' },
  },
  ussd: { session: '0.020', billUserInitiated: false },
  push: { notification: '0.0005' },
  activeUsers: { messenger: '0.050', telegram: '0.050', 'google-bm': '0.050', 'apple-bc': '0.050' },
  kakao: { notificationTalk: '0.0090', friendsTalk: '0.0150', consultationSession: '0.0300' },
  voice: {
    perMinute: { prefixes: { '+33': '0.0200', '+331': '0.0150', '+336': '0.0700', '+337': '0.0700', '+49': '0.0250' }, default: '0.1000' },
    increments: { firstSeconds: 60, nextSeconds: 60 },
    amdRequest: '0.0040',
  },
  byoc: { setupFee: '250.00', perMinute: '0.0030', increments: { firstSeconds: 60, nextSeconds: 60 } },
  recording: { licence: '8.00', limit: 10, storagePerMinuteDay: '0.0002', conversationsStoragePerGbDay: '0.0100', bytesPerGb: 1_000_000_000 },
};
