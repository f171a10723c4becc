/** The permissions a token can carry in its `permissions` claim (API.md sections 6 and 9). */
export enum Permission {
  CreateImage = 'create image',
  UpdateImage = 'update image',
  DeleteImage = 'delete image',
  RestoreImage = 'restore image',
  ForceDeleteImage = 'force delete image',
  // The other sides of the pivot resources: an attach needs `create <parent>` and `create image`.
  CreateAnime = 'create anime',
  UpdateAnime = 'update anime',
  DeleteAnime = 'delete anime',
  CreateArtist = 'create artist',
  UpdateArtist = 'update artist',
  DeleteArtist = 'delete artist',
  CreateStudio = 'create studio',
  UpdateStudio = 'update studio',
  DeleteStudio = 'delete studio',
  CreatePlaylist = 'create playlist',
  UpdatePlaylist = 'update playlist',
  DeletePlaylist = 'delete playlist',
}

export const ALL_PERMISSIONS: readonly Permission[] = Object.values(Permission);

export function isPermission(value: string): value is Permission {
  return (ALL_PERMISSIONS as readonly string[]).includes(value);
}
