import { auditActionOf, auditOutcomeOf, auditResourceOf } from './audit.js';

describe('audit action and resource of a route', () => {
  it.each([
    ['POST', '/v1/sims/:iccid/suspend', 200, 'sims.suspend', true],
    ['POST', '/v1/sims/bulk', 202, 'sims.bulk', true],
    ['POST', '/v1/accounts', 201, 'accounts.create', false],
    ['POST', '/v1/accounts/:id/api-keys', 201, 'accounts.api-keys.create', false],
    ['DELETE', '/v1/accounts/:id/api-keys/:keyId', 204, 'accounts.api-keys.delete', false],
    ['PATCH', '/v1/sims/:iccid', 200, 'sims.update', false],
    ['PUT', '/v1/price-plans/:id', 200, 'price-plans.replace', false],
    ['POST', '/v1/webhooks', 201, 'webhooks.create', false],
  ])('%s %s (%i) → %s', (method, route, status, action, verbSegment) => {
    expect(auditActionOf(method, route, status)).toEqual({ action, verbSegment });
  });

  it('names the resource by its path, without the verb, with the created id', () => {
    expect(auditResourceOf('/v1/sims/8988303000000000001/suspend?x=1', true)).toBe('sims/8988303000000000001');
    expect(auditResourceOf('/v1/accounts/acc_1/api-keys', false, 'key_2')).toBe('accounts/acc_1/api-keys/key_2');
    expect(auditResourceOf('/v1/sims/my%20tracker', false)).toBe('sims/my tracker');
  });

  it('tells success, denial and failure apart', () => {
    expect([200, 204, 401, 403, 404, 422, 500].map(auditOutcomeOf)).toEqual([
      'success',
      'success',
      'denied',
      'denied',
      'failure',
      'failure',
      'failure',
    ]);
  });
});
