import { dirname, join } from 'node:path';
import * as ts from 'typescript';
import type { ImageClient } from '../image-client';
import type { PivotListResponse, PivotName, PivotShowResponse } from './pivots';
import type { Artist, Image, Studio } from './resources';

/**
 * Type-level checks: a wrong type is a compile error in this file, which the last test (and
 * `tsc -p packages/client/tsconfig.json`) reports; Jest itself only strips the types.
 */
declare const _client: ImageClient;

/** `true` only when A and B are the same type, neither wider. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Shown<P extends PivotName> = Awaited<ReturnType<typeof _client.showLink<P>>>;
type Listed<P extends PivotName> = PivotListResponse<P>[`${P}s`][number];
type IncludedImage = Omit<Image, 'anime' | 'artists' | 'studios' | 'playlists'>;

describe('the showLink response type', () => {
  // Found by a probe: the show type was the bare link, without the sides an include adds.
  it('should carry the included sides as the list type does', () => {
    const checks: [
      Equal<Shown<'studioimage'>, PivotShowResponse<'studioimage'>>,
      Equal<Shown<'studioimage'>['studioimage'], Listed<'studioimage'>>,
      Equal<Shown<'studioimage'>['studioimage']['studio'], Studio | undefined>,
      Equal<Shown<'studioimage'>['studioimage']['image'], IncludedImage | undefined>,
      Equal<Shown<'artistimage'>['artistimage']['artist'], Omit<Artist, 'artistimage'> | undefined>,
      Equal<Shown<'animeimage'>['animeimage'], Listed<'animeimage'>>,
      Equal<Shown<'playlistimage'>['playlistimage'], Listed<'playlistimage'>>,
    ] = [true, true, true, true, true, true, true];
    expect(checks).toEqual([true, true, true, true, true, true, true]);
  });

  it('should type a show with include=studio,image as the service answers it', () => {
    const body: Shown<'studioimage'> = {
      studioimage: {
        studio_id: 3,
        image_id: 12,
        created_at: '2024-01-15T12:00:00.000000Z',
        updated_at: '2024-01-15T12:00:00.000000Z',
        studio: { studio_id: 3, name: 'Sunrise', slug: 'sunrise' },
        image: {
          image_id: 12,
          path: 'studio/sunrise.jpg',
          facet: 'Cover',
          link: 'https://animethemes.moe/storage/images/studio/sunrise.jpg',
          created_at: '2024-01-15T12:00:00.000000Z',
          updated_at: '2024-01-15T12:00:00.000000Z',
        },
      },
    };
    expect([body.studioimage.studio?.name, body.studioimage.image?.path]).toEqual([
      'Sunrise',
      'studio/sunrise.jpg',
    ]);
  });
});

describe('this file', () => {
  it('should compile under the package tsconfig (its type checks hold)', () => {
    const configPath = join(dirname(__dirname), '..', 'tsconfig.json');
    const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
    const program = ts.createProgram([__filename], { ...options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);
});
