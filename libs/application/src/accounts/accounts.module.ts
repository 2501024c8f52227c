import { Module } from '@nestjs/common';
import { AccountsService, ApiKeyAuthenticator } from './accounts.usecases.js';

/** Accounts and their API keys; the authenticator every role's HTTP guard uses. */
@Module({ providers: [AccountsService, ApiKeyAuthenticator], exports: [AccountsService, ApiKeyAuthenticator] })
export class AccountsModule {}
