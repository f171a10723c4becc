import { Column, DeleteDateColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Timestamps are `timestamp(6)` columns in the schema (see the migrations). Entities carry them as
 * `YYYY-MM-DD HH:MM:SS.ffffff` UTC strings, not `Date`s: TypeORM's Date conversion truncates to
 * milliseconds on both drivers, and the contract keeps microseconds.
 */
export const TimestampColumn = (name: string): PropertyDecorator =>
  Column({ name, type: 'varchar', length: 26 });

export const DeletedAtColumn = (): PropertyDecorator =>
  DeleteDateColumn({ name: 'deleted_at', type: 'varchar', length: 26, nullable: true });

export const IdColumn = (name: string): PropertyDecorator =>
  PrimaryGeneratedColumn('increment', { name, type: 'bigint', unsigned: true });
