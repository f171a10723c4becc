import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { REQUIRED_PERMISSION } from './auth.constants';
import { PermissionGuard } from './permission.guard';
import type { Permission } from './permissions';

/** Marks a route as needing a bearer token that carries `permission`; read by `PermissionGuard`. */
export const RequirePermission = (permission: Permission): MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    UseGuards(PermissionGuard),
    ApiBearerAuth(),
  );
