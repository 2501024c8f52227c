import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { DomainError, iccidProblem } from '@simfleet/domain';

/**
 * Every `{iccid}` path parameter: a 19–20 digit value is an ICCID and must be a valid one (a wrong check
 * digit is a 422 naming the problem, not a 404). Anything else is a SIM name (names are never 19–20 digits).
 */
@Injectable()
export class SimRefInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const params = context.switchToHttp().getRequest<FastifyRequest>().params as Record<string, string> | undefined;
      const ref = params?.iccid;
      if (typeof ref === 'string' && /^\d{19,20}$/.test(ref)) {
        const problem = iccidProblem(ref);
        if (problem) throw DomainError.validation(`${ref} is not a valid ICCID: ${problem}`, [{ field: 'iccid', message: problem }]);
      }
    }
    return next.handle();
  }
}
