import { Module } from '@nestjs/common';

/** The Image resource; mounted under `API_PREFIX` by the app module. */
@Module({})
export class ImageModule {}
