import type { AccountScope } from '@simfleet/auth';

export interface Account {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string | null;
  name: string;
  secretHash: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  id: string;
  accountId: string;
  name: string;
  scopes: AccountScope[];
  /** The full key, shown once at creation and never stored. */
  key: string;
  createdAt: Date;
}
