export enum PlaylistVisibility {
  Public = 0,
  Private = 1,
  Unlisted = 2,
}
