import { callgrindTotal, firstDumpFiles } from './instruction-count';

describe('callgrindTotal', () => {
  const dump = (...lines: string[]) =>
    ['# callgrind format', 'version: 1', 'creator: callgrind-3.19.0', ...lines].join('\n');

  it('should read the summary line, not the totals line after it', () => {
    const text = dump(
      'events: Ir',
      'summary: 2186397964',
      'fn=(1) main',
      '16 3',
      'totals: 2199865813',
    );
    expect(callgrindTotal(text)).toBe(2186397964);
  });

  it('should read the totals line of a dump without a summary', () => {
    expect(callgrindTotal(dump('events: Ir', 'fn=(1) main', '16 3', 'totals: 42'))).toBe(42);
  });

  it('should not take a number that only follows the word elsewhere in a line', () => {
    expect(callgrindTotal(dump('fn=summary: 7', 'totals: 42'))).toBe(42);
  });

  it('should fail on a dump without either', () => {
    expect(() => callgrindTotal(dump('events: Ir'))).toThrow('no summary or totals line');
  });
});

describe('firstDumpFiles', () => {
  it('should take the first thread as the main thread, the others in order', () => {
    const names = ['s.out.1-10', 's.out.1-02', 's.out.1-01', 's.out', 's.out.2-01', 'c.out.1-01'];
    expect(firstDumpFiles('/tmp/x/s.out', names)).toEqual({
      main: 's.out.1-01',
      others: ['s.out.1-02', 's.out.1-10'],
    });
  });

  it('should take the one file of a dump without separate threads', () => {
    expect(firstDumpFiles('/tmp/x/s.out', ['s.out', 's.out.1'])).toEqual({
      main: 's.out.1',
      others: [],
    });
  });

  it('should fail when nothing was dumped', () => {
    expect(() => firstDumpFiles('/tmp/x/s.out', ['s.out'])).toThrow('no dump of s.out');
  });
});
