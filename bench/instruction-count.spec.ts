import { callgrindTotal, firstDumpFiles } from './instruction-count';

describe('callgrindTotal', () => {
  it('should read the totals line of a dump', () => {
    const dump = [
      '# callgrind format',
      'version: 1',
      'creator: callgrind-3.19.0',
      'events: Ir',
      'fn=(1) main',
      '16 3',
      'totals: 2213374993',
    ].join('\n');
    expect(callgrindTotal(dump)).toBe(2213374993);
  });

  it('should read a summary line, and not a number elsewhere in the dump', () => {
    expect(callgrindTotal('events: Ir\nfn=totals: 7\nsummary: 42\n')).toBe(42);
  });

  it('should fail on a dump without either', () => {
    expect(() => callgrindTotal('events: Ir\n')).toThrow('no totals or summary line');
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
