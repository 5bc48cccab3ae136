// The name the worker registers under and the dispatch rule dispatches to. The runbook typed it
// by hand in two places; a one-character difference left rooms without an agent. Both sides
// import it from here. Operators may override it with AGENT_NAME (worker and SIP desired state).
export const DEFAULT_AGENT_NAME = 'SW Telephony Agent';

export function resolveAgentName(override: string | undefined): string {
  const name = override?.trim();
  return name ? name : DEFAULT_AGENT_NAME;
}
