import { sessionOptions } from './session-settings';

describe('sessionOptions', () => {
  it('pins output formats, lifts timeouts and turns JIT off on every connection', () => {
    const options = ` ${sessionOptions()}`.split(' -c ').slice(1);
    expect(options).toEqual(
      expect.arrayContaining(['TimeZone=UTC', 'statement_timeout=0', 'jit=off']),
    );
  });
});
