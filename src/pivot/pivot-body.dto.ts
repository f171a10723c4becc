import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

/** The largest value of an `int` column. */
const MAX_DEPTH = 2_147_483_647;

/** The body of an attach to a pivot without columns of its own: nothing (unknown keys are ignored). */
export class EmptyPivotBody {}

/**
 * `depth` of artistimage (orders an artist's images): an integer ≥ 1, or null. Optional: absent on
 * attach means null, on PATCH no change.
 */
export class DepthBody {
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: MAX_DEPTH,
    description: "Orders the artist's images; null for none.",
    example: 1,
  })
  @ValidateIf((_body: unknown, value: unknown) => value !== null && value !== undefined)
  // Decorators apply bottom-up: the integer check runs first.
  @Max(MAX_DEPTH, { message: `The depth field must not be greater than ${MAX_DEPTH}.` })
  @Min(1, { message: 'The depth field must be at least 1.' })
  @IsInt({ message: 'The depth field must be an integer.' })
  depth?: number | null;
}
