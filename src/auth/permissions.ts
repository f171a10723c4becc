/** The permissions a token can carry in its `permissions` claim (API.md section 6). */
export enum Permission {
  CreateImage = 'create image',
  UpdateImage = 'update image',
  DeleteImage = 'delete image',
  RestoreImage = 'restore image',
  ForceDeleteImage = 'force delete image',
}

export const ALL_PERMISSIONS: readonly Permission[] = Object.values(Permission);

export function isPermission(value: string): value is Permission {
  return (ALL_PERMISSIONS as readonly string[]).includes(value);
}
