import { RefusedUrl, WebhookUrlGuard, type Resolver } from './url-guard.js';

// A fake DNS: the unit tier does no I/O (the e2e suite resolves the real `localhost`).
const records: Record<string, string[]> = {
  'localhost.test': ['127.0.0.1'],
  'internal.test': ['10.0.0.5'],
  'metadata.test': ['169.254.169.254'],
  'mixed.test': ['93.184.215.14', '192.168.1.10'],
  'public.test': ['93.184.215.14'],
  'v6.test': ['2606:4700::1111'],
};
const fakeDns: Resolver = async (hostname) => {
  const addresses = records[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const refusal = async (guard: WebhookUrlGuard, url: string): Promise<string> => {
  try {
    await guard.check(url);
  } catch (error) {
    if (error instanceof RefusedUrl) return error.reason;
    throw error;
  }
  throw new Error(`${url} was accepted`);
};

describe('WebhookUrlGuard (no allowed CIDRs)', () => {
  const guard = new WebhookUrlGuard([], fakeDns);

  it.each([
    ['http://127.0.0.1/hook', 'loopback'],
    ['http://127.255.0.9:8080/', 'loopback'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://192.168.0.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://100.100.100.200/', 'carrierGradeNat'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://[::1]/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://[fc00::1]/', 'uniqueLocal'],
    ['http://[fd00:ec2::254]/', 'uniqueLocal'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', 'linkLocal'],
    ['http://[::ffff:10.0.0.1]/', 'private'],
    ['http://[64:ff9b::7f00:1]/', 'rfc6052'],
    ['http://[2002:7f00:1::]/', '6to4'],
    // IPv4-compatible IPv6 (::/96): judged by the IPv4 address they carry, and refused even when it is public.
    ['http://[::127.0.0.1]/', 'loopback'],
    ['http://[::7f00:1]/', 'loopback'],
    ['http://[::a9fe:a9fe]/', 'linkLocal'],
    ['http://[::169.254.169.254]/', 'linkLocal'],
    ['http://[::10.0.0.1]/', 'private'],
    ['http://[::c0a8:1]/', 'private'],
    ['http://[::0.0.0.2]/', 'unspecified'],
    ['http://[::93.184.215.14]/', 'ipv4Compatible'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.0.0.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://localhost.test/', 'loopback'],
    ['http://internal.test/', 'private'],
    ['http://metadata.test/', 'linkLocal'],
    ['https://mixed.test/', 'private'],
  ])('refuses %s (%s)', async (url, range) => {
    expect(await refusal(guard, url)).toMatch(new RegExp(`a ${range} address$`));
  });

  it.each([
    ['ftp://public.test/', 'only http and https'],
    ['file:///etc/passwd', 'only http and https'],
    ['gopher://public.test/', 'only http and https'],
    ['http://user:secret@public.test/', 'credentials'],
    ['not a url', 'not a valid URL'],
    ['http://nowhere.test/', 'does not resolve (ENOTFOUND)'],
  ])('refuses %s', async (url, reason) => {
    expect(await refusal(guard, url)).toContain(reason);
  });

  it('accepts public addresses and pins the one it checked', async () => {
    await expect(guard.check('https://public.test/hooks?x=1')).resolves.toMatchObject({
      hostname: 'public.test',
      address: '93.184.215.14',
      family: 4,
    });
    await expect(guard.check('http://93.184.215.14:8080/')).resolves.toMatchObject({ address: '93.184.215.14', family: 4 });
    await expect(guard.check('https://v6.test/')).resolves.toMatchObject({ address: '2606:4700::1111', family: 6 });
    await expect(guard.check('http://[2606:4700::1111]/')).resolves.toMatchObject({ hostname: '2606:4700::1111', family: 6 });
  });
});

describe('WebhookUrlGuard with WEBHOOK_ALLOWED_CIDRS', () => {
  const guard = new WebhookUrlGuard(['127.0.0.0/8', '10.20.0.0/16'], fakeDns);

  it('lets the allowed ranges through, and only them', async () => {
    await expect(guard.check('http://127.0.0.1:9000/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(guard.check('http://localhost.test/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(guard.check('http://[::ffff:127.0.0.1]/')).resolves.toMatchObject({ address: '::ffff:7f00:1' });
    await expect(guard.check('http://10.20.3.4/')).resolves.toMatchObject({ address: '10.20.3.4' });
    expect(await refusal(guard, 'http://10.21.0.1/')).toMatch(/private address$/);
    expect(await refusal(guard, 'http://[::1]/')).toMatch(/loopback address$/);
    expect(await refusal(guard, 'http://169.254.169.254/')).toMatch(/linkLocal address$/);
  });
});
