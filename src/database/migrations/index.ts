import { InitialSchema1732700000000 } from './1732700000000-initial-schema';

/** Every migration, in order. Listed as classes so the same list works from `src` and `dist`. */
export const MIGRATIONS = [InitialSchema1732700000000];
