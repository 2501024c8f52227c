import { Module } from '@nestjs/common';
import { AuthThrottleModule } from '../identity/auth-throttle.module.js';
import { AccountsService, ApiKeyAuthenticator } from './accounts.usecases.js';

/** Accounts and their API keys; the authenticator every role's HTTP guard uses (throttled on invalid keys). */
@Module({ imports: [AuthThrottleModule], providers: [AccountsService, ApiKeyAuthenticator], exports: [AccountsService, ApiKeyAuthenticator] })
export class AccountsModule {}
