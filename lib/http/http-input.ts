import { BadRequestException } from '@nestjs/common';
import { isValidEmail } from '../thread/partner.service.js';

/** Small checks of HTTP input: each failure is a 400 that says which field is wrong. */
export function objectBody(body: unknown): Record<string, any> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('expected a JSON object body');
  return body as Record<string, any>;
}

/** the body must be a JSON object (a missing body is refused too) */
export function requireObjectBody(body: unknown): Record<string, any> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('expected a JSON object body');
  return body as Record<string, any>;
}

export function requireString(input: Record<string, any>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequestException(`${key} must be a non-empty string`);
  return value;
}

export function optionalString(input: Record<string, any>, key: string, max = 100_000): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${key} must be a string`);
  if (value.length > max) throw new BadRequestException(`${key} is longer than ${max} characters`);
  return value;
}

export function optionalEmail(input: Record<string, any>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !isValidEmail(value)) throw new BadRequestException(`${key} must be an email address`);
  return value;
}

export function optionalInt(name: string, value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : requireInt(name, value);
}

export function requireInt(name: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new BadRequestException(`${name} must be a positive integer`);
  return Number(value);
}

export function optionalIntArray(input: Record<string, any>, key: string): number[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new BadRequestException(`${key} must be an array of ids`);
  return value as number[];
}
