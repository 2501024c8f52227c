/**
 * Destination lookups: longest E.164 prefix for numbers, MCC(-MNC) → ISO country → zone for the
 * visited network of a data session.
 */
export class PrefixTable<T> {
  private readonly byPrefix = new Map<string, T>();
  private readonly lengths: number[];

  /** Prefixes are written "+33", "33" or "+336"; they are compared on digits only. */
  constructor(entries: Record<string, T>) {
    for (const [prefix, value] of Object.entries(entries)) this.byPrefix.set(digits(prefix), value);
    this.lengths = [...new Set([...this.byPrefix.keys()].map((k) => k.length))].sort((a, b) => b - a);
  }

  /** Longest matching prefix, or undefined. */
  match(number: string): { prefix: string; value: T } | undefined {
    const n = digits(number);
    for (const len of this.lengths) {
      if (len > n.length) continue;
      const key = n.slice(0, len);
      const value = this.byPrefix.get(key);
      if (value !== undefined) return { prefix: `+${key}`, value };
    }
    return undefined;
  }
}

export function digits(number: string): string {
  return number.replace(/[^0-9]/g, '');
}

/** ITU-T E.212 mobile country codes → ISO 3166-1 alpha-2. Shared codes (US 310–316, GB 234/235, IN 404/405) listed each. */
const MCC_TABLE =
  '202GR 204NL 206BE 208FR 212MC 213AD 214ES 216HU 218BA 219HR 220RS 221XK 222IT 225VA 226RO 228CH 230CZ 231SK 232AT ' +
  '234GB 235GB 238DK 240SE 242NO 244FI 246LT 247LV 248EE 250RU 255UA 257BY 259MD 260PL 262DE 266GI 268PT 270LU 272IE ' +
  '274IS 276AL 278MT 280CY 282GE 283AM 284BG 286TR 288FO 290GL 292SM 293SI 294MK 295LI 297ME 302CA 308PM 310US 311US ' +
  '312US 313US 314US 315US 316US 330PR 334MX 338JM 340GP 342BB 344AG 346KY 348VG 350BM 352GD 354MS 356KN 358LC 360VC ' +
  '362CW 363AW 364BS 365AI 366DM 368CU 370DO 372HT 374TT 376TC 400AZ 401KZ 402BT 404IN 405IN 406IN 410PK 412AF 413LK ' +
  '414MM 415LB 416JO 417SY 418IQ 419KW 420SA 421YE 422OM 424AE 425IL 426BH 427QA 428MN 429NP 430AE 431AE 432IR 434UZ ' +
  '436TJ 437KG 438TM 440JP 441JP 450KR 452VN 454HK 455MO 456KH 457LA 460CN 461CN 466TW 467KP 470BD 472MV 502MY 505AU ' +
  '510ID 514TL 515PH 520TH 525SG 528BN 530NZ 536NR 537PG 539TO 540SB 541VU 542FJ 544AS 545KI 546NC 547PF 548CK 549WS ' +
  '550FM 551MH 552PW 602EG 603DZ 604MA 605TN 606LY 607GM 608SN 609MR 610ML 611GN 612CI 613BF 614NE 615TG 616BJ 617MU ' +
  '618LR 619SL 620GH 621NG 622TD 623CF 624CM 625CV 626ST 627GQ 628GA 629CG 630CD 631AO 632GW 633SC 634SD 635RW 636ET ' +
  '637SO 638DJ 639KE 640TZ 641UG 642BI 643MZ 645ZM 646MG 647RE 648ZW 649NA 650MW 651LS 652BW 653SZ 654KM 655ZA 657ER ' +
  '659SS 702BZ 704GT 706SV 708HN 710NI 712CR 714PA 716PE 722AR 724BR 730CL 732CO 734VE 736BO 738GY 740EC 742GF 744PY ' +
  '746SR 748UY 750FK';

export const MCC_COUNTRIES: ReadonlyMap<string, string> = new Map(MCC_TABLE.split(' ').map((entry) => [entry.slice(0, 3), entry.slice(3)] as const));

/** MNC as received: a string keeps its leading zero ("01"); a number is padded to two digits. */
export function normaliseMnc(mnc: string | number): string {
  return typeof mnc === 'number' ? String(mnc).padStart(2, '0') : mnc;
}

export function normaliseMcc(mcc: string | number): string {
  return typeof mcc === 'number' ? String(mcc).padStart(3, '0') : mcc;
}

/**
 * Country of a visited network: a plan override for the exact MCC-MNC wins (international
 * networks such as MCC 901, or a network the operator re-homes), else the MCC's country.
 */
export function networkCountry(mcc: string, mnc: string, overrides: Readonly<Record<string, string>> | undefined): string | undefined {
  return overrides?.[`${mcc}${mnc}`] ?? overrides?.[`${mcc}-${mnc}`] ?? MCC_COUNTRIES.get(mcc);
}
