// The repository's telephony.json, for code that cannot read files at run time (the sip-status
// edge function bundles it through this import). The CLI reads the file itself, so an operator
// can point TELEPHONY_CONFIG elsewhere.
import telephony from '../../telephony.json' with { type: 'json' };
import type { SipSnapshot } from './types.ts';

/** The managed object names and room prefix the committed telephony.json asks for. */
export const COMMITTED_DESIRED: SipSnapshot['desired'] = {
  trunkName: telephony.trunk.name,
  ruleName: telephony.dispatchRule.name,
  roomPrefix: telephony.dispatchRule.roomPrefix,
};
