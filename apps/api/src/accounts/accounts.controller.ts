import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccountsService } from '@simfleet/application';
import { ACCOUNT_SCOPES, principalHasScope, type Principal } from '@simfleet/auth';
import { DomainError, ErrorCode } from '@simfleet/domain';
import { AllowAdminToo, CurrentPrincipal, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { accountView, apiKeyView, pageOf } from '../http/views.js';

const createAccountBody = z.object({ name: z.string().trim().min(1).max(200).describe('Display name of the customer') }).strict();
const createKeyBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(z.enum(ACCOUNT_SCOPES)).min(1).describe('`read`, `write` (implies read) and/or `mqtt` (integration subscriber)'),
  })
  .strict();
const pageParams = z.object(pageQuery);

/** An account key manages its own account's keys only: another account is reported as missing. */
function assertOwnAccount(principal: Principal, id: string): void {
  if (principal.kind === 'account' && principal.accountId !== id) throw DomainError.notFound('Account', id);
}

@ApiTags('accounts')
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

  @Post(':id/api-keys')
  @RequireScope('write')
  @AllowAdminToo()
  @ApiJsonBody(createKeyBody)
  @ApiRoute(
    {
      status: 201,
      schema: apiKeyView,
      description:
        'The new key; `key` is shown only in this response. The admin key, or a `write` key of the account for a key with no scope it lacks itself',
    },
    404,
    422,
  )
  createKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodPipe(createKeyBody)) body: z.infer<typeof createKeyBody>,
  ) {
    assertOwnAccount(principal, id);
    const beyond = principal.kind === 'account' ? body.scopes.filter((scope) => !principalHasScope(principal, scope)) : [];
    if (beyond.length) {
      throw new DomainError(ErrorCode.Forbidden, `A key cannot grant a scope it lacks: ${beyond.join(', ')}`, {
        errors: [{ field: 'scopes', message: `not held by the calling key: ${beyond.join(', ')}` }],
      });
    }
    return this.accounts.createApiKey(id, body.name, body.scopes);
  }

  @Get(':id/api-keys')
  @RequireScope('read')
  @AllowAdminToo()
  @ApiRoute({ schema: z.object({ data: z.array(apiKeyView) }), description: 'The admin key, or a key of the account' }, 404)
  async listKeys(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    assertOwnAccount(principal, id);
    const keys = await this.accounts.listApiKeys(id);
    return { data: keys.map(({ secretHash: _hidden, ...key }) => key) };
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  @RequireScope('write')
  @AllowAdminToo()
  @ApiRoute({ status: 204, schema: z.null(), description: 'Revoked (the admin key, or a `write` key of the account)' }, 404)
  async revokeKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('keyId') keyId: string) {
    assertOwnAccount(principal, id);
    await this.accounts.revokeApiKey(id, keyId);
  }
}
