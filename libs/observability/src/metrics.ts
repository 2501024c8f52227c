import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus registry of this process and every metric the platform exposes on /metrics. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'simfleet_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly mqttConnections = new Gauge({
    name: 'simfleet_mqtt_connections',
    help: 'MQTT clients currently connected to this broker',
    registers: [this.registry],
  });

  readonly mqttRefused = new Counter({
    name: 'simfleet_mqtt_refused_total',
    help: 'MQTT connections, publishes and subscriptions refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly ingestedRecords = new Counter({
    name: 'simfleet_ingested_records_total',
    help: 'Telemetry records accepted by the broker and durably queued, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly rejectedRecords = new Counter({
    name: 'simfleet_rejected_records_total',
    help: 'Telemetry records refused at ingestion, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly storedRecords = new Counter({
    name: 'simfleet_stored_records_total',
    help: 'Telemetry records written to the telemetry store and the usage ledger by the worker',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'simfleet_queue_depth',
    help: 'Jobs waiting or delayed, by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly jobFailures = new Counter({
    name: 'simfleet_job_failures_total',
    help: 'Job attempts that failed, by job name (final failures are dead-lettered)',
    labelNames: ['job', 'final'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'simfleet_' });
  }

  /** Registers a callback run at each scrape (e.g. to read queue depth from Redis). */
  onCollect(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  private readonly collectors: Array<() => Promise<void>> = [];
  private readonly logger = new Logger('Metrics');

  async render(): Promise<string> {
    // A collector that cannot read (e.g. Redis down) leaves its gauge at the last value; the scrape still answers.
    await Promise.all(
      this.collectors.map((collect) => collect().catch((error: unknown) => this.logger.warn(`metrics collector failed: ${String(error)}`))),
    );
    return this.registry.metrics();
  }
}
