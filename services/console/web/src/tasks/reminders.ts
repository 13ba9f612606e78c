// A rep's reminders in the console: when the service has reminded them of a task (by email
// too), the live feed says so once — a toast, and a desktop notification when allowed.
import { notifications } from "@mantine/notifications";
import dayjs from "dayjs";
import { useEffect, useRef, useState } from "react";
import type { Task } from "../types";

export const REMIND_OPTIONS = [
  { value: "none", label: "No reminder" },
  { value: "0", label: "At the due time" },
  { value: "15", label: "15 minutes before" },
  { value: "60", label: "An hour before" },
  { value: "1440", label: "A day before" },
];

export const remindMinutes = (choice: string | null): number | null => (choice === null || choice === "none" ? null : Number(choice));

// Which tasks were reminded since `seen` was last updated (the first look only records).
export function newlyReminded(tasks: Task[], seen: Set<string> | null): { fresh: Task[]; seen: Set<string> } {
  const reminded = tasks.filter((t) => t.reminded_at);
  const keys = new Set(reminded.map((t) => `${t.id}@${t.reminded_at}`));
  const fresh = seen ? reminded.filter((t) => !seen.has(`${t.id}@${t.reminded_at}`)) : [];
  return { fresh, seen: keys };
}

type Permission = NotificationPermission | "unsupported";

export function useDesktopPermission(): [Permission, () => void] {
  const supported = typeof window !== "undefined" && "Notification" in window;
  const [permission, setPermission] = useState<Permission>(supported ? Notification.permission : "unsupported");
  const ask = () => {
    if (supported) void Notification.requestPermission().then(setPermission);
  };
  return [permission, ask];
}

export function useReminders(tasks: Task[] | undefined, names: Record<string, string>): void {
  const seen = useRef<Set<string> | null>(null);
  useEffect(() => {
    if (!tasks) return;
    const { fresh, seen: now } = newlyReminded(tasks, seen.current);
    seen.current = now;
    for (const t of fresh) {
      const who = names[t.contact_id] ? ` · ${names[t.contact_id]}` : "";
      const message = `${t.title}${who} — due ${dayjs(t.due_at).format("HH:mm")}`;
      notifications.show({ title: "Reminder", message, color: "yellow", autoClose: 15_000 });
      if ("Notification" in window && Notification.permission === "granted") new Notification("Lodestone reminder", { body: message, tag: t.id });
    }
  }, [tasks, names]);
}
