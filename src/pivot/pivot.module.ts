import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ImageModule } from '../image/image.module';
import { QueryModule } from '../query';
import { pivotMessageController } from './pivot-message.controller';
import { pivotController } from './pivot.controller';
import { PivotRepository } from './pivot.repository';
import { PivotService } from './pivot.service';
import { PIVOTS } from './pivots';

/**
 * The pivot resources (animeimage, artistimage, studioimage, playlistimage): their routes, under
 * `API_PREFIX`, and the same operations as message patterns.
 */
@Module({
  imports: [AuthModule, ImageModule, QueryModule],
  controllers: [...PIVOTS.map(pivotController), ...PIVOTS.map(pivotMessageController)],
  providers: [PivotService, PivotRepository],
  exports: [PivotService],
})
export class PivotModule {}
