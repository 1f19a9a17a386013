/** Base of every error the assistant raises on purpose: a stable code plus words for people. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }

  static isInstance(value: unknown): value is AppError {
    return value instanceof AppError;
  }
}

/** A message for a person from anything thrown, without stack traces. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
