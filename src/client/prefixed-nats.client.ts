import { ClientNats, NatsOptions } from '@nestjs/microservices';
import type { MsPattern } from '@nestjs/microservices';

/** Nest's NATS client sending to `<prefix><pattern>`, the subjects of `NATS_SUBJECT_PREFIX`. */
export class PrefixedNatsClient extends ClientNats {
  constructor(
    options: Required<NatsOptions>['options'],
    private readonly subjectPrefix: string,
  ) {
    super(options);
  }

  protected override normalizePattern(pattern: MsPattern): string {
    return `${this.subjectPrefix}${super.normalizePattern(pattern)}`;
  }
}
