/** Injection token of the `JwtVerification` built from configuration. */
export const JWT_VERIFICATION = Symbol('JWT_VERIFICATION');

/** Route metadata key holding the permissions a route requires (all of them). */
export const REQUIRED_PERMISSION = 'auth:required-permission';
