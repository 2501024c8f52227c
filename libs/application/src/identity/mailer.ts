import { Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing e-mail (invites, password resets): SMTP when SMTP_URL is set, else none; chosen in IdentityModule. */
export abstract class Mailer {
  abstract readonly enabled: boolean;
  /** Sends, or throws with the server's reason. */
  abstract send(message: MailMessage): Promise<void>;
  abstract close(): Promise<void>;
}

export class SmtpMailer extends Mailer {
  readonly enabled = true;
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    super();
    // Bounded waits: a request that sends an invite must not hang on a dead mail server.
    const parsed = new URL(url);
    this.transport = createTransport({
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : parsed.protocol === 'smtps:' ? 465 : 587,
      secure: parsed.protocol === 'smtps:',
      auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** No SMTP_URL: nothing is sent; the one-time links are shown to whoever created them. */
export class DisabledMailer extends Mailer {
  readonly enabled = false;
  private readonly logger = new Logger('Mailer');

  async send(message: MailMessage): Promise<void> {
    this.logger.debug(`not sent (no SMTP_URL): "${message.subject}" to ${message.to}`);
  }

  async close(): Promise<void> {}
}
