import { Controller, Get, Module, Param, ParseIntPipe, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { conditionalReply } from '../../src/common/conditional-reply';
import { apiBaseUrl } from '../../src/common/public-url';
import type { AppConfig } from '../../src/config/app-config';
import { InjectAppConfig } from '../../src/config/config.module';
import {
  type ParsedQuery,
  QueryModule,
  requestReadContext,
  ResourceQuery,
  ResourceReader,
} from '../../src/query';
import { GADGET_QUERY_SCHEMA, GADGET_RESOURCE } from './gadget.query-schema';

/** `/api/gadget` and `/api/gadget/:id`, read through the shared reader. */
@Controller('api/gadget')
export class GadgetController {
  constructor(
    private readonly reader: ResourceReader,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  @Get()
  list(
    @ResourceQuery(GADGET_QUERY_SCHEMA) query: ParsedQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const context = requestReadContext(request, `${apiBaseUrl(this.config, request)}/gadget`);
    return conditionalReply(reply, this.reader.readPage(GADGET_RESOURCE, query, context));
  }

  @Get(':id')
  show(
    @ResourceQuery(GADGET_QUERY_SCHEMA, 'show') query: ParsedQuery,
    @Param('id', new ParseIntPipe({ errorHttpStatusCode: 404 })) id: number,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const context = requestReadContext(request, `${apiBaseUrl(this.config, request)}/gadget`);
    return conditionalReply(reply, this.reader.readOne(GADGET_RESOURCE, id, query, context));
  }
}

@Module({ imports: [QueryModule], controllers: [GadgetController] })
export class GadgetModule {}
