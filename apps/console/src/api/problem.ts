/** An RFC 9457 problem the API answered with: its title and detail, and the fields it names. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    readonly type = '',
  ) {
    super(`${title}: ${detail}`);
  }

  /** What the API said about one field (`params/maxKmh`, `name`…), or about any field under a prefix. */
  forField(field: string): string | undefined {
    return this.errors.find((e) => e.field === field || e.field.startsWith(`${field}/`))?.message;
  }

  /** Problems not tied to one of `shownFields` (shown with the form as a whole). */
  otherErrors(shownFields: readonly string[]): FieldProblem[] {
    return this.errors.filter((e) => !shownFields.some((f) => e.field === f || e.field.startsWith(`${f}/`)));
  }
}

export const isProblem = (error: unknown): error is ApiProblem => error instanceof ApiProblem;

/** Turns a network failure or a non-problem answer into a problem the pages can show. */
export function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (error instanceof Error && error.name === 'AbortError') return new ApiProblem(0, 'Cancelled', 'The request was cancelled');
  return new ApiProblem(0, 'The server could not be reached', error instanceof Error ? error.message : String(error));
}
