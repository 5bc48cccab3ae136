// Request bodies of the webhooks function, validated with zod. Every message can be shown to the
// owner as it is ("url: url must start with https:// (got ftp://)").
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../shared/webhooks/events.ts';
import { checkWebhookUrl, type WebhookUrlPolicy } from '../../../shared/webhooks/url.ts';

const EVENT_LIST = WEBHOOK_EVENT_TYPES.join(', ');

function urlSchema(policy: WebhookUrlPolicy) {
  return z
    .string({ error: 'url must be a string' })
    .trim()
    .superRefine((value, ctx) => {
      const checked = checkWebhookUrl(value, policy);
      if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
    });
}

const eventsSchema = z
  .array(z.string({ error: 'events must be a list of event names' }), { error: 'events must be a list of event names' })
  .min(1, `events must name at least one of: ${EVENT_LIST}`)
  .superRefine((events, ctx) => {
    const unknown = events.filter((event) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event));
    if (unknown.length > 0)
      ctx.addIssue({
        code: 'custom',
        message: `${unknown.map((e) => `'${e.slice(0, 60)}'`).join(', ')} ${unknown.length === 1 ? 'is not an event' : 'are not events'}; events are ${EVENT_LIST}`,
      });
  });

const description = z
  .string({ error: 'description must be a string' })
  .max(200, 'description must be at most 200 characters');
const enabled = z.boolean({ error: 'enabled must be true or false' });

const unknownKeys = (allowed: string) => ({
  error: (issue: { code: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys?.join(', ')}; allowed: ${allowed}` : undefined,
});

export function createEndpointSchema(policy: WebhookUrlPolicy) {
  return z.strictObject(
    {
      url: urlSchema(policy),
      events: eventsSchema,
      description: description.default(''),
      enabled: enabled.default(true),
    },
    unknownKeys('url, events, description, enabled'),
  );
}

export function updateEndpointSchema(policy: WebhookUrlPolicy) {
  return z
    .strictObject(
      {
        url: urlSchema(policy).optional(),
        events: eventsSchema.optional(),
        description: description.optional(),
        enabled: enabled.optional(),
      },
      unknownKeys('url, events, description, enabled'),
    )
    .refine((body) => Object.keys(body).length > 0, 'send at least one of url, events, description, enabled');
}

export type CreateEndpointRequest = z.infer<ReturnType<typeof createEndpointSchema>>;
export type UpdateEndpointRequest = z.infer<ReturnType<typeof updateEndpointSchema>>;

export const listDeliveriesSchema = z.strictObject(
  {
    limit: z.coerce
      .number({ error: 'limit must be a number' })
      .int('limit must be a whole number')
      .min(1, 'limit must be 1 to 100')
      .max(100, 'limit must be 1 to 100')
      .default(50),
    before: z.iso
      .datetime({ offset: true, error: 'before must be an ISO 8601 time, e.g. 2026-11-28T10:00:00Z' })
      .optional(),
  },
  unknownKeys('limit, before'),
);
