import { errorMessage, fieldErrors } from '@perry/client';

/**
 * A refused save as a form shows it: the agent's message beside each field it names (`fields`,
 * by the issue's path), and the rest (a whole-entry problem, a taken name, a missing entry) as
 * one sentence for the form. Null when there was no error.
 */
export function formErrors<F extends string>(error: unknown, fields: readonly F[]): { fields: Partial<Record<F, string>>; general: string | null } | null {
  if (error === null || error === undefined) return null;
  const issues = fieldErrors(error);
  const known: Partial<Record<F, string>> = {};
  let general: string | null = null;
  for (const [path, message] of Object.entries(issues)) {
    const field = fields.find((name) => name === path);
    if (field) known[field] = message;
    else general ??= message;
  }
  if (Object.keys(issues).length === 0) general = errorMessage(error);
  return { fields: known, general };
}
