import type { WebhookEndpointKind, WebhookPayload } from '@outpost/shared';

/** Slack's three control characters in mrkdwn text. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Line {
  title: string;
  summary: string;
  links: { label: string; url: string }[];
}

function lineOf(payload: WebhookPayload): Line {
  if (payload.type === 'webhook.test') return { title: 'Outpost webhook test', summary: payload.data.summary, links: [] };
  const { run, summary, dashboardUrl } = payload.data;
  const links: Line['links'] = [];
  if (dashboardUrl) links.push({ label: 'Open run', url: dashboardUrl });
  if (run.promotion?.pullRequestUrl) links.push({ label: 'Pull request', url: run.promotion.pullRequestUrl });
  return { title: `Outpost ${payload.type} · ${run.repo} · ${run.agent}`, summary: summary.slice(0, 300), links };
}

/**
 * The readable message a chat incoming-webhook gets: status, repo, agent, one-line summary,
 * links. Text from runs is escaped (Slack) or kept from pinging anyone (Discord allowed_mentions).
 */
export function chatBody(kind: Exclude<WebhookEndpointKind, 'standard'>, payload: WebhookPayload): string {
  const line = lineOf(payload);
  if (kind === 'slack') {
    const links = line.links.map((l) => `<${l.url}|${l.label}>`).join(' · ');
    return JSON.stringify({ text: `*${slackEscape(line.title)}*\n${slackEscape(line.summary)}${links ? `\n${links}` : ''}` });
  }
  const links = line.links.map((l) => `[${l.label}](<${l.url}>)`).join(' · ');
  const content = `**${line.title}**\n${line.summary}${links ? `\n${links}` : ''}`.slice(0, 2000);
  return JSON.stringify({ content, allowed_mentions: { parse: [] } });
}
