import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@simfleet/domain';
import { TelemetryQueriesRepository } from '@simfleet/persistence';

/** A refused record as the broker reports it on `things/{iccid}/errors`. */
export interface IngestionProblem {
  code: string;
  message: string;
  /** Position of the record in an array payload. */
  index?: number;
  /** The refused record's session id; the session ids of a refused message. */
  sessionId?: string;
  sessionIds?: string[];
  /** The MQTT packet id of the refused message (QoS 1/2). */
  messageId?: number;
}

/** How many errors each SIM keeps for diagnostics. */
export const KEPT_INGESTION_ERRORS = 20;

/** Keeps the last ingestion errors of each SIM, for diagnostics (the broker calls it; no SQL there). */
@Injectable()
export class IngestionErrors {
  constructor(
    @Inject(TelemetryQueriesRepository) private readonly repository: TelemetryQueriesRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async recordIngestionErrors(iccid: string, problems: IngestionProblem[], topic = `things/${iccid}`): Promise<void> {
    await this.repository.appendIngestionErrors(iccid, topic, this.clock.now(), problems, KEPT_INGESTION_ERRORS);
  }

  recent(iccid: string, limit = KEPT_INGESTION_ERRORS) {
    return this.repository.recentIngestionErrors(iccid, limit);
  }
}
