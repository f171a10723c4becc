/**
 * Word lists for generated demo rows: invented combinations in the style of anime wiki data, naming
 * no real work or person on purpose. Kept as space-separated strings to stay short.
 */
const words = (text: string): readonly string[] => text.trim().split(/\s+/);

export const ROMAJI_WORDS = words(`
  Hoshi Sora Yume Kaze Tsuki Hikari Kage Mirai Sakura Yuki Umi Hana Kokoro Tenshi Akuma Kami Ryuu
  Kitsune Ookami Neko Tora Shiro Kuro Aka Ao Midori Gin Kin Honoo Mizu Tsubasa Inori Kiseki
  Densetsu Monogatari Senki Gakuen Bouken Tantei Mahou Shoujo Shounen Kishi Senshi Oukoku Sekai
  Jikan Kioku Namida Egao Uta Koi Hatsukoi Natsu Fuyu Haru Aki Yoru Asa Niji Kumo Ame Arashi
  Kaminari Tetsu Hagane Kurenai Shinku Ginga Wakusei Uchuu
`);

export const ENGLISH_ADJECTIVES = words(`
  Crimson Silent Eternal Hidden Broken Golden Lonely Infinite Last First Wandering Shining Lost
  Frozen Burning Electric Gentle Wild Midnight Endless Forgotten Little Brave Secret Scarlet Azure
  Iron Paper Glass Clockwork Phantom Stray Distant Restless
`);

export const ENGLISH_NOUNS = words(`
  Blade Garden Horizon Requiem Symphony Frontier Chronicle Labyrinth Paradox Melody Tower Academy
  Kingdom Station Harbor Festival Witch Knight Dragon Summer Winter Rain Signal Orbit Engine
  Lantern Archive Promise Sky Sea Star Moon Railway Bloom Echo Mirage Cradle Compass Atlas Canvas
`);

export const TITLE_SUFFIXES: readonly string[] = [
  'Season 2',
  'Season 3',
  '2nd Season',
  'Final Season',
  'The Movie',
  'OVA',
  'Specials',
  'Zoku',
  'R',
  'Next',
  'Origins',
  'Encore',
];

export const FAMILY_NAMES = words(`
  Aoki Fujita Hasegawa Hayashi Ikeda Inoue Ishikawa Kato Kimura Kobayashi Kondo Maeda Matsumoto
  Mori Murakami Nakajima Nakamura Ogawa Okada Saito Sakamoto Sasaki Sato Shimizu Suzuki Takahashi
  Tanaka Ueda Watanabe Yamada Yamaguchi Yamamoto Yoshida Endo Fukuda Goto Hirano Kaneko Miura
  Nishimura Ota Sugiyama Takeuchi Ueno
`);

export const GIVEN_NAMES = words(`
  Aoi Asuka Ayaka Chihiro Daiki Emi Haruka Haruto Hina Hiroshi Kaede Kaito Kana Kenji Kohei Mai
  Mao Megumi Mika Minami Nana Natsuki Rei Ren Rin Riku Saki Sayaka Shota Sora Takumi Tomoya Yui
  Yuka Yuki Yuma Yuto Akane Hibiki Kou Misaki Nozomi Tsubasa
`);

export const GROUP_WORDS = words(`
  Lights Parade Cascade Nova Prism Velvet Drops Arrows Tones Wave Kids Machine Society Theory
  Garage Circuit Project Sisters Band
`);

/** `{w}` is a word. */
export const STUDIO_PATTERNS: readonly string[] = [
  'Studio {w}',
  '{w} Animation',
  '{w} Pictures',
  '{w} Film',
  '{w} Works',
  '{w} Production',
  '{w} Studio',
  '{w} Inc.',
  '{w}',
  'Team {w}',
];

/** `{year}`, `{season}`, `{adj}` and `{noun}` are filled in. */
export const PLAYLIST_PATTERNS: readonly string[] = [
  'Best openings of {year}',
  'My {adj} endings',
  '{adj} {noun} mix',
  'Road trip',
  'Study session',
  'Workout openings',
  'Rainy day endings',
  '{season} {year} favourites',
  'Nostalgia trip',
  'Karaoke night',
  'Hidden gems',
  '{noun} collection',
  'Chill covers',
];

export const SYNOPSIS_SENTENCES: readonly string[] = [
  'A quiet town hides a secret that only one student can see.',
  'Two rivals are forced to share a dormitory room for a whole year.',
  'An old map leads a group of friends to a kingdom beyond the sea.',
  'When the stars go out, a young pilot is the last one still flying.',
  'A detective with no memory solves cases for a cat café.',
  'The school festival is in ten days and the light music club has no members.',
  'A knight wakes up three hundred years after the war ended.',
  'Every night at midnight, the railway takes one passenger somewhere else.',
  'A witch apprentice opens a delivery service in a harbor city.',
  'A robot learns to cook by watching its neighbours.',
  'Summer vacation repeats itself, and only she remembers.',
  'A band of misfits enters the national competition.',
];

export const ARTIST_INFORMATION: readonly string[] = [
  'Voice actress and singer.',
  'Singer-songwriter known for opening themes.',
  'Rock band formed in Tokyo.',
  'Composer and arranger.',
  'Idol unit from a mobile game.',
  'Vocalist of several ending themes.',
];
