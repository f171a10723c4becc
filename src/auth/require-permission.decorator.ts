import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { REQUIRED_PERMISSION } from './auth.constants';
import { PermissionGuard } from './permission.guard';
import type { Permission } from './permissions';

/**
 * Marks a route as needing a bearer token that carries every one of `permissions` (an attach needs
 * two); read by `PermissionGuard`.
 */
export const RequirePermission = (...permissions: [Permission, ...Permission[]]): MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permissions),
    UseGuards(PermissionGuard),
    ApiBearerAuth(),
  );
