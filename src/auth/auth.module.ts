import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JWT_VERIFICATION } from './auth.constants';
import { createJwtVerification } from './jwt-verification';
import { JwtStrategy } from './jwt.strategy';
import { TokenVerifier } from './token-verifier';

/** Bearer-token authentication: the verifier, and the passport `jwt` strategy on it. */
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [
    {
      provide: JWT_VERIFICATION,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createJwtVerification(config),
    },
    JwtStrategy,
    TokenVerifier,
  ],
  exports: [PassportModule, TokenVerifier],
})
export class AuthModule {}
