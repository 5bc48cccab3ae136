// The start of a call that knows nothing yet (no SIP ids, no number, the default agent), in a room
// of its own: what store, sweep and hub tests write when only the row's life matters.
import type { CallStart } from '../config/types.ts';

export function unknownCallStart(): CallStart {
  return {
    room_name: `call-${crypto.randomUUID()}`,
    livekit_call_id: null,
    trunk_id: null,
    dispatch_rule_id: null,
    caller_number: null,
    dialed_number: null,
    owner_id: null,
    agent_config_id: null,
    config_version: null,
    config_source: 'default',
    started_at: new Date().toISOString(),
  };
}
