import { Writable } from 'node:stream';
import { NestPinoLogger, createRootLogger } from './logger.js';

const capture = () => {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: new NestPinoLogger(createRootLogger('info', 'json', stream)) };
};

describe('NestPinoLogger', () => {
  it('logs an error object with its message and stack, not "[object Object]"', () => {
    const { lines, logger } = capture();
    const error = new Error('invalid byte sequence for encoding "UTF8": 0x00');
    logger.error({ requestId: 'r1', err: error }, 'Http');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, context: 'Http', requestId: 'r1', msg: 'invalid byte sequence for encoding "UTF8": 0x00' });
    expect(lines[0].err).toMatchObject({ type: 'Error', message: error.message, stack: expect.stringContaining('logger.spec.ts') });
  });

  it('logs an Error passed alone, and keeps plain messages with their trace', () => {
    const { lines, logger } = capture();
    logger.error(new TypeError('boom'));
    logger.error('plain', 'Error: plain\n    at somewhere', 'Worker');
    expect(lines[0]).toMatchObject({ msg: 'boom', err: { type: 'TypeError', stack: expect.stringContaining('TypeError: boom') } });
    expect(lines[1]).toMatchObject({ msg: 'plain', context: 'Worker', trace: 'Error: plain\n    at somewhere' });
  });
});
