/** The agent's rule for workspace names (they become container, volume and host names). */
export const WORKSPACE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const WORKSPACE_NAME_RULE =
  "1 to 63 characters, lowercase letters, digits and '-', starting and ending with a letter or digit";

/**
 * What is wrong with a name as typed, or null when the agent will accept its form. The agent
 * still checks (and may refuse a taken name); this only spares a round trip while typing.
 */
export function validateWorkspaceName(name: string): string | null {
  if (name.length === 0) return 'Enter a name.';
  if (name.length > 63) return `Too long (${name.length} characters): ${WORKSPACE_NAME_RULE}.`;
  if (/[A-Z]/.test(name)) return `Use lowercase letters: ${WORKSPACE_NAME_RULE}.`;
  if (!WORKSPACE_NAME_PATTERN.test(name)) return `${WORKSPACE_NAME_RULE[0]?.toUpperCase()}${WORKSPACE_NAME_RULE.slice(1)}.`;
  return null;
}
