import { describeDatabase, parseSeedArguments } from './seed.command';

describe('parseSeedArguments', () => {
  it.each<[string[], object]>([
    [[], { help: false, options: { images: 2000, reset: false } }],
    [['--images', '1000000'], { help: false, options: { images: 1_000_000, reset: false } }],
    [['--images=1_000_000'], { help: false, options: { images: 1_000_000, reset: false } }],
    [['--images', '1,000'], { help: false, options: { images: 1000, reset: false } }],
    [
      [
        '--images',
        '10',
        '--anime',
        '2',
        '--artists=3',
        '--studios',
        '0',
        '--playlists',
        '4',
        '--seed',
        '7',
        '--reset',
      ],
      {
        help: false,
        options: {
          images: 10,
          anime: 2,
          artists: 3,
          studios: 0,
          playlists: 4,
          seed: 7,
          reset: true,
        },
      },
    ],
    [['--help'], { help: true, options: { images: 2000, reset: false } }],
    [['-h'], { help: true, options: { images: 2000, reset: false } }],
  ])('should read %j', (argv, expected) => {
    expect(parseSeedArguments(argv)).toEqual(expected);
  });

  it.each([
    [['--images'], '--images needs a number'],
    [['--images', '-5'], '--images must be a whole number (got "-5")'],
    [['--images', '1e6'], '--images must be a whole number (got "1e6")'],
    [['--anime=ten'], '--anime must be a whole number (got "ten")'],
    [['--images', '1', '--images', '2'], '--images is given twice'],
    [['--imagez', '3'], 'unknown argument "--imagez" (see --help)'],
    [['1000'], 'unknown argument "1000" (see --help)'],
    [['--reset=yes'], 'unknown argument "--reset=yes" (see --help)'],
  ])('should refuse %j with "%s"', (argv, message) => {
    expect(() => parseSeedArguments(argv)).toThrow(message);
  });
});

describe('describeDatabase', () => {
  it('should name the database without its password', () => {
    expect(
      describeDatabase({
        type: 'mysql',
        host: 'db',
        port: 3306,
        username: 'app',
        password: 'hunter2',
        database: 'images',
        poolSize: 10,
      }),
    ).toBe('mysql://app@db:3306/images');
    expect(describeDatabase({ type: 'sqlite', path: '/srv/data/image-api.sqlite' })).toBe(
      'sqlite:/srv/data/image-api.sqlite',
    );
  });
});
