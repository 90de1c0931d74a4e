import { IsString, MaxLength } from 'class-validator';

export class VerifyEmailDto {
  /** Any string: one that is not a token of ours is an unknown link (400 "Invalid or expired verification link"). */
  @MaxLength(256)
  @IsString()
  token: string;
}
