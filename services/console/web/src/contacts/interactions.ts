import { contacts, ok } from "../client";

// A call or meeting becomes an interaction event like any other: it scores, triggers workflows
// and counts on the leaderboard. `eventId` makes it once: the same id twice is logged once.
export function logActivity(contactId: string, kind: "call" | "meeting", eventId: string, properties: Record<string, unknown>) {
  return ok(
    contacts.POST("/v1/events", {
      body: {
        events: [
          {
            event_id: eventId,
            type: "track",
            name: kind === "call" ? "call_logged" : "meeting_held",
            occurred_at: new Date().toISOString(),
            contact: { contact_id: contactId },
            properties,
          },
        ],
      },
    }),
  );
}
