import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JWT_VERIFICATION } from './auth.constants';
import { createJwtVerification } from './jwt-verification';
import { TokenVerifier } from './token-verifier';

/** Bearer-token authentication: the one verifier of tokens, for every guard and transport. */
@Module({
  providers: [
    {
      provide: JWT_VERIFICATION,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createJwtVerification(config),
    },
    TokenVerifier,
  ],
  exports: [TokenVerifier],
})
export class AuthModule {}
