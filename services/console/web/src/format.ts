import dayjs from "dayjs";
import relativeTime from "dayjs/plugin/relativeTime";
import type { Contact } from "./types";

dayjs.extend(relativeTime);

export const STAGES = [
  "subscriber",
  "lead",
  "marketing_qualified",
  "sales_qualified",
  "opportunity",
  "customer",
  "lost",
  "disqualified",
] as const;

const STAGE_LABELS: Record<string, string> = {
  subscriber: "Subscriber",
  lead: "Lead",
  marketing_qualified: "Marketing qualified",
  sales_qualified: "Sales qualified",
  opportunity: "Opportunity",
  customer: "Customer",
  lost: "Lost",
  disqualified: "Disqualified",
};

export const stageLabel = (s: string | null | undefined) => (s ? (STAGE_LABELS[s] ?? s) : "—");
export const stageOptions = STAGES.map((s) => ({ value: s, label: STAGE_LABELS[s] }));

export function contactName(c: Pick<Contact, "first_name" | "last_name" | "email" | "id">): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return name || c.email || c.id;
}

export const when = (at: string | null | undefined) => (at ? dayjs(at).format("D MMM YYYY, HH:mm") : "—");
// The currencies offered wherever money is entered (goals, plans, products, segments).
export const CURRENCIES = ["EUR", "USD", "GBP", "INR", "JPY", "CHF", "AUD", "CAD", "BRL", "SEK", "NOK", "DKK", "PLN", "MXN"];
// Money per currency, never summed across currencies: "EUR 1,200 · USD 350" (to the cent
// with `cents`: "EUR 10.05", for what people are paid).
export const money = (m: Record<string, number> | null | undefined, cents = false) =>
  Object.entries(m ?? {})
    .map(([c, v]) => `${c} ${cents ? v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : Math.round(v).toLocaleString("en-US")}`)
    .join(" · ") || "—";
export const ago = (at: string | null | undefined) => (at ? dayjs(at).fromNow() : "—");

const INTERACTIONS: Record<string, string> = {
  page_visit: "Visited a page",
  email_sent: "Was sent an email",
  email_opened: "Opened an email",
  email_clicked: "Clicked a link in an email",
  email_bounced: "Email bounced",
  email_unsubscribed: "Unsubscribed",
  form_submitted: "Filled in a form",
  call_logged: "Call",
  meeting_held: "Meeting",
  purchase: "Bought",
};
export const interactionLabel = (t: string) => INTERACTIONS[t] ?? t.replaceAll("_", " ");

export const bandColor = (band: string | null | undefined) =>
  band === "hot" ? "red" : band === "warm" ? "orange" : band === "cold" ? "blue" : "gray";
