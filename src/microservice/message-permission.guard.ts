import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MessagePattern, NatsContext } from '@nestjs/microservices';
import { Match, type MsgHdrs } from 'nats';
import { REQUIRED_PERMISSION } from '../auth/auth.constants';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { assertPermission } from '../auth/authorize';
import type { Permission } from '../auth/permissions';
import { bearerToken, TokenVerifier } from '../auth/token-verifier';
import { type MessageFields, readMessage } from './image-message.reader';

const MESSAGE_ENVELOPE = 'image-api:message-envelope';

interface Envelope {
  readonly pattern: string;
  readonly fields: MessageFields<string>;
  readonly keys?: readonly string[];
}

/** What the guard found for one message (keyed by its transport context, one per message). */
interface Checked {
  readonly message: Partial<Record<string, unknown>>;
  readonly user?: AuthenticatedUser;
}

const checked = new WeakMap<object, Checked>();

/** Every value of the NATS header `name` (in any letter case); undefined when there is none. */
function natsHeaderValues(context: unknown, name: string): string[] | undefined {
  if (!(context instanceof NatsContext)) return undefined;
  const headers = context.getHeaders() as MsgHdrs | undefined;
  return headers?.has(name, Match.IgnoreCase) === true
    ? headers.values(name, Match.IgnoreCase)
    : undefined;
}

/**
 * The JWT of a message: NATS header `Authorization: Bearer <token>` when the message has that
 * header (then only it counts), otherwise the `token` field: the token itself or `Bearer <token>`.
 */
export function messageToken(context: unknown, token: unknown): string | undefined {
  // A blank header is a malformed one, not none; two values are no token, as two lines are on
  // HTTP (which one was meant?).
  const values = natsHeaderValues(context, 'Authorization');
  if (values !== undefined) return values.length === 1 ? bearerToken(values[0]) : undefined;
  if (typeof token !== 'string' || token === '') return undefined;
  return token.startsWith('Bearer ') ? bearerToken(token) : token;
}

/**
 * The `Idempotency-Key` of a write message: the NATS header of that name when the message has it
 * (then only it counts, as for the token; two of them are a malformed key, as two HTTP lines are),
 * otherwise the `idempotencyKey` field.
 */
export function messageIdempotencyKey(context: unknown, field: unknown): unknown {
  const values = natsHeaderValues(context, 'Idempotency-Key');
  if (values === undefined) return field;
  return values.length === 1 ? values[0] : values;
}

/**
 * The `If-Match` of a write message: the NATS header (several are one list, as on HTTP) when the
 * message has it, otherwise the `ifMatch` field (a string: `readMessage` judged it).
 */
export function messageIfMatch(context: unknown, field: unknown): string | undefined {
  const values = natsHeaderValues(context, 'If-Match');
  if (values !== undefined) return values.join(', ');
  return field as string | undefined;
}

/** The write's `Idempotency-Key` (`messageIdempotencyKey`), undefined when it sent none. */
export const MessageIdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown => {
    const transport = context.switchToRpc().getContext<object>();
    return messageIdempotencyKey(transport, checked.get(transport)!.message.idempotencyKey);
  },
);

/** The write's `If-Match` (`messageIfMatch`), undefined when it sent none. */
export const MessageIfMatch = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const transport = context.switchToRpc().getContext<object>();
    return messageIfMatch(transport, checked.get(transport)!.message.ifMatch);
  },
);

/**
 * The message patterns' counterpart of the HTTP routes' guards, in their order: the envelope
 * (400), then, for a pattern that requires a permission, the token (401, 503) and the permission
 * (403). Handlers read what it found with `@CheckedMessage()` and `@MessageUser()`.
 */
@Injectable()
export class MessagePermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const envelope = this.reflector.get<Envelope>(MESSAGE_ENVELOPE, context.getHandler());
    const rpc = context.switchToRpc();
    const message = readMessage(rpc.getData(), envelope.pattern, envelope.fields, envelope.keys);
    const required = this.reflector.get<readonly Permission[] | undefined>(
      REQUIRED_PERMISSION,
      context.getHandler(),
    );
    const transport = rpc.getContext<object>();
    if (required === undefined) {
      checked.set(transport, { message });
      return true;
    }
    const user = await this.tokens.authenticate(messageToken(transport, message.token));
    assertPermission(user, required);
    checked.set(transport, { message, user });
    return true;
  }
}

export interface MessageRouteOptions {
  /** Every permission the token must carry, as on the HTTP route (none: no token is read). */
  readonly permissions?: readonly [Permission, ...Permission[]];
  /** The fields that name a row, each a number or a string (default: `id`). */
  readonly keys?: readonly string[];
}

/** A message pattern whose envelope holds `fields`; with `permissions`, only for tokens that carry them. */
export const MessageRoute = <K extends string>(
  pattern: string,
  fields: MessageFields<K>,
  { permissions, keys }: MessageRouteOptions = {},
): MethodDecorator =>
  applyDecorators(
    MessagePattern(pattern),
    SetMetadata(MESSAGE_ENVELOPE, { pattern, fields, keys }),
    ...(permissions === undefined ? [] : [SetMetadata(REQUIRED_PERMISSION, permissions)]),
    UseGuards(MessagePermissionGuard),
  );

/** The envelope the guard read. */
export const CheckedMessage = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Partial<Record<string, unknown>> =>
    checked.get(context.switchToRpc().getContext<object>())!.message,
);

/** The user the guard authenticated. */
export const MessageUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    checked.get(context.switchToRpc().getContext<object>())!.user!,
);
