import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ImageModule } from '../image/image.module';
import { ImageMessageController } from './image-message.controller';

/**
 * The image message patterns. Always part of the application; they only receive messages once
 * `startMessageListeners` has connected a transport.
 */
@Module({
  imports: [AuthModule, ImageModule],
  controllers: [ImageMessageController],
})
export class ImageMicroserviceModule {}
