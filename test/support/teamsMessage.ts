import type * as AdaptiveCards from 'adaptivecards';

// The package's `main` (lib/, ES modules without extensions) does not load under Node; its bundled build does, with the same API.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AdaptiveCard, SerializationContext, Version } = require('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCards;

/**
 * What a Teams Workflows webhook is sent must pass Microsoft's own Adaptive Cards SDK: each card
 * is parsed at the version it declares, and any event the SDK reports (a property or element from
 * a later version, an unknown value, a missing required property) is a problem. Returns the
 * problems, none for a message Teams renders as written.
 *
 * The envelope is the one Microsoft documents for cards posted to a Teams webhook ("Send Adaptive
 * Cards using an Incoming Webhook", learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using;
 * the Workflows "Post to a channel when a webhook request is received" template takes the same
 * body): `{ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive',
 * content: <card> }] }`.
 */
export function teamsMessageProblems(message: unknown): string[] {
  const envelope = message as { type?: unknown; attachments?: unknown };
  if (envelope.type !== 'message') return ['type must be "message"'];
  if (!Array.isArray(envelope.attachments) || envelope.attachments.length === 0) return ['attachments must hold a card'];
  return (envelope.attachments as { contentType?: unknown; content?: unknown }[]).flatMap((attachment, index) => {
    if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') return [`attachments[${index}].contentType is not application/vnd.microsoft.card.adaptive`];
    return adaptiveCardProblems(attachment.content).map((problem) => `attachments[${index}]: ${problem}`);
  });
}

export function adaptiveCardProblems(content: unknown): string[] {
  const declared = (content as { version?: unknown } | null)?.version;
  const version = typeof declared === 'string' ? Version.parse(declared, new SerializationContext()) : undefined;
  if (version === undefined || !version.isValid) return [`the card declares no valid version (${String(declared)})`];
  const context = new SerializationContext(version);
  new AdaptiveCard().parse(content, context);
  const problems: string[] = [];
  for (let index = 0; index < context.eventCount; index++) {
    const event = context.getEventAt(index);
    problems.push(`${event.message} (in ${JSON.stringify(event.source?.toJSON?.() ?? null)?.slice(0, 120)})`);
  }
  return problems;
}

type CardElement = { type: string; text?: string; inlines?: { text: string }[] };

function cardBody(message: unknown): CardElement[] {
  return (message as { attachments: { content: { body: CardElement[] } }[] }).attachments[0]!.content.body;
}

/** Each element's text as Teams shows it, whichever element holds it. */
export function cardTexts(message: unknown): string[] {
  return cardBody(message).map((element) => element.text ?? element.inlines?.map((inline) => inline.text).join('') ?? '');
}

/** The texts Teams reads as Markdown: every TextBlock's (a RichTextBlock's TextRuns are not, per "Text features"). */
export function cardMarkdownTexts(message: unknown): string[] {
  return cardBody(message).filter((element) => element.type === 'TextBlock').map((element) => element.text ?? '');
}
