import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';

export type IdPrefix =
  'acc' | 'key' | 'ord' | 'job' | 'grp' | 'evt' | 'sms' | 'case' | 'whk' | 'dlv' | 'rule' | 'alrt' | 'inv' | 'dl' | 'msg' | 'usr' | 'ses';

/** Prefixed, time-sortable identifiers (`acc_01J…`): the prefix tells a support engineer what an id is. */
export const newId = (prefix: IdPrefix): string => `${prefix}_${ulid()}`;

export const randomSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');
