import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Clock } from '@simfleet/domain';
import { SystemClock } from './clocks.js';

/**
 * The platform's one clock. Production runs on the system clock; a test harness hands its own (a
 * `ShiftedClock`) to `startPlatform`: there is deliberately no setting that moves a running platform's time.
 */
@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock = new SystemClock()): DynamicModule {
    return { module: ClockModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}
