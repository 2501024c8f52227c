import { Inject, Injectable } from '@nestjs/common';
import type { SmsMessage, SmsStatus } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface SmsRow {
  id: string;
  account_id: string;
  iccid: string;
  kind: SmsMessage['kind'];
  text: string;
  encoding: SmsMessage['encoding'];
  segments: number;
  status: SmsStatus;
  status_reason: string | null;
  gateway: string;
  gateway_message_id: string | null;
  validity_until: Date;
  submitted_at: Date | null;
  sent_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toSms = (r: SmsRow): SmsMessage => ({
  id: r.id,
  accountId: r.account_id,
  iccid: r.iccid,
  kind: r.kind,
  text: r.text,
  encoding: r.encoding,
  segments: r.segments,
  status: r.status,
  statusReason: r.status_reason,
  gateway: r.gateway,
  gatewayMessageId: r.gateway_message_id,
  validityUntil: r.validity_until,
  submittedAt: r.submitted_at,
  sentAt: r.sent_at,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Mobile-terminated SMS (table `sms_messages`); `submitted_at` is the billing moment of its segments. */
@Injectable()
export class SmsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, m: SmsMessage): Promise<void> {
    await tx.query(
      `insert into sms_messages (id, account_id, iccid, kind, text, encoding, segments, status, status_reason, gateway, gateway_message_id,
         validity_until, submitted_at, sent_at, delivered_at, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`,
      [
        m.id,
        m.accountId,
        m.iccid,
        m.kind,
        m.text,
        m.encoding,
        m.segments,
        m.status,
        m.statusReason,
        m.gateway,
        m.gatewayMessageId,
        m.validityUntil,
        m.submittedAt,
        m.sentAt,
        m.deliveredAt,
        m.createdAt,
      ],
    );
  }

  async findById(id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<SmsMessage | null> {
    const [row] = await tx.query<SmsRow>(`select * from sms_messages where id = $1${forUpdate ? ' for update' : ''}`, [id]);
    return row ? toSms(row) : null;
  }

  async findByGatewayMessageId(gateway: string, gatewayMessageId: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<SmsMessage | null> {
    const [row] = await tx.query<SmsRow>(
      `select * from sms_messages where gateway = $1 and gateway_message_id = $2${forUpdate ? ' for update' : ''}`,
      [gateway, gatewayMessageId],
    );
    return row ? toSms(row) : null;
  }

  /** Records that the gateway took the message: the billing moment. A status it already moved past is kept. */
  async markSubmitted(tx: SqlExecutor, id: string, at: Date, gatewayMessageId: string, status: 'queued' | 'sent'): Promise<SmsMessage> {
    const [row] = await tx.query<SmsRow>(
      `update sms_messages set submitted_at = $2, gateway_message_id = $3, updated_at = $2,
         status = case when status = 'queued' then $4 else status end,
         sent_at = case when $4 = 'sent' and sent_at is null then $2 else sent_at end
       where id = $1 returning *`,
      [id, at, gatewayMessageId, status],
    );
    return toSms(row);
  }

  async setStatus(tx: SqlExecutor, id: string, status: SmsStatus, reason: string | null, at: Date): Promise<SmsMessage> {
    const [row] = await tx.query<SmsRow>(
      `update sms_messages set status = $2, status_reason = $3, updated_at = $4,
         sent_at = case when $2 in ('sent', 'delivered') and sent_at is null then $4 else sent_at end,
         delivered_at = case when $2 = 'delivered' then $4 else delivered_at end
       where id = $1 returning *`,
      [id, status, reason, at],
    );
    return toSms(row);
  }

  async listBySim(accountId: string, iccid: string, limit: number, before?: string): Promise<SmsMessage[]> {
    const rows = await this.db.query<SmsRow>(
      'select * from sms_messages where account_id = $1 and iccid = $2 and ($3::text is null or id < $3) order by id desc limit $4',
      [accountId, iccid, before ?? null, limit],
    );
    return rows.map(toSms);
  }
}
