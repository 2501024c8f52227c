import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccountsService } from '@simfleet/application';
import { ACCOUNT_SCOPES, type Principal } from '@simfleet/auth';
import { AllowAdminToo, CurrentPrincipal, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { accountRealm } from '../identity/identity-http.js';
import { accountView, apiKeyView, pageOf } from '../http/views.js';

const createAccountBody = z.object({ name: z.string().trim().min(1).max(200).describe('Display name of the customer') }).strict();
const createKeyBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    scopes: z
      .array(z.enum(ACCOUNT_SCOPES))
      .min(1)
      .max(ACCOUNT_SCOPES.length)
      .describe(
        '`read`, `write` (implies read), `mqtt` (integration subscriber), `keys` (manage API keys), `audit` (read the audit log), `users` (manage users); ' +
          'a user or key grants only scopes it holds itself',
      ),
  })
  .strict();
const pageParams = z.object(pageQuery);

@ApiTags('accounts (admin)')
@Controller('v1/accounts')
@RequireScope('admin')
export class AccountsController {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {}

  @Post()
  @ApiJsonBody(createAccountBody)
  @ApiRoute({ status: 201, schema: accountView, description: 'The new account' }, 422)
  create(@Body(new ZodPipe(createAccountBody)) body: z.infer<typeof createAccountBody>) {
    return this.accounts.createAccount(body.name);
  }

  @Get()
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(accountView) }, 422)
  list(@Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    return this.accounts.listAccounts(query.limit, query.cursor);
  }

  @Get(':id')
  @ApiRoute({ schema: accountView }, 404)
  get(@Param('id') id: string) {
    return this.accounts.getAccount(id);
  }

  // API keys: the platform admin, or the account's own keys and users holding the `keys` scope.
  @Post(':id/api-keys')
  @RequireScope('keys')
  @AllowAdminToo()
  @ApiJsonBody(createKeyBody)
  @ApiRoute({ status: 201, schema: apiKeyView, description: 'The new key; `key` is shown only in this response' }, 404, 422)
  createKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodPipe(createKeyBody)) body: z.infer<typeof createKeyBody>,
  ) {
    return this.accounts.createApiKey(accountRealm(principal, id), body.name, body.scopes, principal);
  }

  @Get(':id/api-keys')
  @RequireScope('keys')
  @AllowAdminToo()
  @ApiRoute({ schema: z.object({ data: z.array(apiKeyView) }) }, 404)
  async listKeys(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const keys = await this.accounts.listApiKeys(accountRealm(principal, id));
    return { data: keys.map(({ secretHash: _hidden, ...key }) => key) };
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  @RequireScope('keys')
  @AllowAdminToo()
  @ApiRoute({ status: 204, schema: z.null(), description: 'Revoked' }, 404)
  async revokeKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('keyId') keyId: string) {
    await this.accounts.revokeApiKey(accountRealm(principal, id), keyId);
  }
}
